"""The telephony port: keep a trunk's configuration in the media layer, place and end calls, report call events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from byot_core.domain.events import CallEvent
from byot_core.domain.telephony import OriginateRequest, TrunkConfig

__all__ = ["Telephony"]


class Telephony(Protocol):
    """A media layer (Asterisk, or a fake). Every method raises ``TelephonyUnavailable`` when it cannot be done.

    Configuration calls are idempotent: applying the same trunk twice leaves one configuration, removing an absent
    trunk does nothing.
    """

    async def apply_trunk(self, config: TrunkConfig) -> None:
        """Create or replace the trunk's configuration (endpoints, AORs, auth, identify) so it matches ``config``."""

    async def remove_trunk(self, trunk_id: str) -> None:
        """Remove everything configured for the trunk."""

    async def originate(self, request: OriginateRequest) -> None:
        """Start one attempt; its progress arrives later as events on ``request.channel_id``."""

    async def answer(self, channel_id: str) -> None:
        """Answer an inbound channel."""

    async def hang_up(self, channel_id: str, q850_cause: int = 16) -> None:
        """End a channel (or refuse an inbound one) with a Q.850 cause."""

    def events(self) -> AsyncIterator[CallEvent]:
        """The stream of call events, in the order telephony reported them."""
