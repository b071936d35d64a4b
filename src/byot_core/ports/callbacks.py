"""The callback sender port: how a status event reaches its receiver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

__all__ = ["CallbackSender", "ReceiverUnreachable"]


class ReceiverUnreachable(Exception):
    """The receiver did not answer: refused, reset, or silent past the sender's timeout. The event is tried again."""


class CallbackSender(Protocol):
    """POSTs an event's body to its receiver, within a timeout of the adapter's."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """Send the body as JSON; return the answer's status code. Raises :class:`ReceiverUnreachable`."""
