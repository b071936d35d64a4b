"""The inbound call handler port: where a routed inbound call is handed to the embedder's agent runtime."""

from __future__ import annotations

from typing import Protocol

from byot_core.domain.telephony import InboundOffer

__all__ = ["InboundCallHandler"]


class InboundCallHandler(Protocol):
    """Takes an answered inbound call to its agent (for example by bridging its media to the agent's runtime)."""

    async def on_inbound_call(self, offer: InboundOffer) -> None:
        """Take the call. Raising refuses it: the channel is hung up and the execution marked failed."""
