"""The execution record of a call, inbound or outbound, with every gateway attempt made."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from byot_core.domain.causes import HangupReason
from byot_core.domain.media import MediaStats
from byot_core.domain.status import ExecutionStatus

__all__ = ["Attempt", "AttemptResult", "Direction", "Execution"]


class Direction(enum.Enum):
    """Whether the platform placed the call or received it."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


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


@attrs.frozen
class Execution:
    """A call as the platform records it: direction, status, hangup reason, timestamps and attempts.

    ``gateway_plan`` is the order, fixed when the call was placed, in which an outbound call tries gateways.
    ``media`` says what the call's media connection to its agent carried, once it is over.
    ``ring_timeout_seconds`` is the call's own ring timeout, when it was placed with one (else the trunk's applies).
    ``instance_id`` names the instance of the library following the call (whose process gets its events); another
    takes it over when that one's lease runs out.
    """

    id: str
    account_id: str
    agent_id: str
    direction: Direction
    status: ExecutionStatus
    from_number: str
    to_number: str
    created_at: datetime
    updated_at: datetime
    trunk_id: str | None = None
    phone_number_id: str | None = None
    recipient_name: str | None = None
    gateway_plan: tuple[str, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    hangup_reason: HangupReason | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    media: MediaStats | None = None
    ring_timeout_seconds: int | None = None
    instance_id: str | None = None

    @property
    def gateway_id(self) -> str | None:
        """The gateway the call went out through: the answered attempt's, else the last attempt's."""
        for attempt in self.attempts:
            if attempt.answered:
                return attempt.gateway_id
        return self.attempts[-1].gateway_id if self.attempts else None

    def attempt_for(self, channel_id: str) -> int | None:
        """The index of the attempt on that channel, if any."""
        for index, attempt in enumerate(self.attempts):
            if attempt.channel_id == channel_id:
                return index
        return None
