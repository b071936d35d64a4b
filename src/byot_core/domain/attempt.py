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
    """One try through one gateway (outbound) or the one inbound channel."""

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
