"""One try at a call's far end: through one gateway (outbound, or a transfer's target), or the one inbound channel."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["Attempt", "AttemptResult"]


class AttemptResult(enum.Enum):
    """How one attempt through one gateway ended."""

    PENDING = "pending"
    ANSWERED = "answered"
    ROUTE_FAILURE = "route-failure"
    FINAL = "final"


@attrs.frozen
class Attempt:
    """One try through one gateway (outbound) or the one inbound channel: one leg of the call.

    ``sip_call_id`` is the leg's SIP Call-ID (the carrier's own, inbound; Asterisk's, outbound), ``codec`` the audio
    codec agreed once it was answered; both as the telephony reported them, else ``None``.
    """

    channel_id: str
    started_at: datetime
    gateway_id: str | None = None
    dialled: str | None = None
    reached_ringing: bool = False
    answered: bool = False
    ended_at: datetime | None = None
    result: AttemptResult = AttemptResult.PENDING
    sip_code: int | None = None
    q850_cause: int | None = None
    #: Whether the answered call reached the library (an application that can hand it to its agent). An outbound
    #: attempt starts without; one recorded before this field existed reads as having it.
    taken: bool = True
    sip_call_id: str | None = None
    codec: str | None = None

    def noting(self, sip_call_id: str | None, codec: str | None) -> Attempt:
        """The attempt with the leg's Call-ID and codec as reported, where it had none yet (itself if nothing new)."""
        call_id = self.sip_call_id or sip_call_id
        agreed = self.codec or codec
        if call_id == self.sip_call_id and agreed == self.codec:
            return self
        return attrs.evolve(self, sip_call_id=call_id, codec=agreed)
