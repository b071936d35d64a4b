"""The execution record of a call, inbound or outbound, with every gateway attempt made and every transfer."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from byot_core.domain.attempt import Attempt, AttemptResult
from byot_core.domain.causes import HangupReason
from byot_core.domain.media import MediaStats
from byot_core.domain.recording import Recording
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import Transfer

__all__ = ["Attempt", "AttemptResult", "Direction", "Execution"]


class Direction(enum.Enum):
    """Whether the platform placed the call or received it."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


@attrs.frozen
class Execution:
    """A call as the platform records it: direction, status, hangup reason, timestamps and attempts.

    ``gateway_plan`` is the order, fixed when the call was placed, in which an outbound call tries gateways.
    ``media`` says what the call's media connection to its agent carried, once it is over.
    ``ring_timeout_seconds`` is the call's own ring timeout, when it was placed with one (else the trunk's applies).
    ``instance_id`` names the instance of the library following the call (whose process gets its events); another
    takes it over when that one's lease runs out. ``transfers`` are the call's transfers, oldest first. ``record``
    says whether the call is to be recorded, ``recording`` where its recording is. ``status_callback_url``, when
    set, is sent an event at each change of the call (:mod:`byot_core.domain.callbacks`).
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
    transfers: tuple[Transfer, ...] = ()
    record: bool = False
    recording: Recording | None = None
    status_callback_url: str | None = None

    @property
    def duration_seconds(self) -> float | None:
        """How long the call was answered (billable: from the answer to the end), to the millisecond.

        ``None`` while the call goes on; 0 for a call that ended without being answered.
        """
        if self.ended_at is None:
            return None
        if self.answered_at is None:
            return 0.0
        return round(max((self.ended_at - self.answered_at).total_seconds(), 0.0), 3)

    @property
    def leg(self) -> Attempt | None:
        """The caller's side of the call: the answered attempt, else the last one (``None`` before any)."""
        for attempt in self.attempts:
            if attempt.answered:
                return attempt
        return self.attempts[-1] if self.attempts else None

    @property
    def gateway_id(self) -> str | None:
        """The gateway the call went out through: the answered attempt's, else the last attempt's."""
        leg = self.leg
        return leg.gateway_id if leg is not None else None

    def attempt_for(self, channel_id: str) -> int | None:
        """The index of the attempt on that channel, if any."""
        for index, attempt in enumerate(self.attempts):
            if attempt.channel_id == channel_id:
                return index
        return None

    @property
    def channel_ids(self) -> tuple[str, ...]:
        """Every channel the call has used: its attempts', then its transfers' legs'."""
        legs = tuple(leg.channel_id for transfer in self.transfers for leg in transfer.legs)
        return tuple(attempt.channel_id for attempt in self.attempts) + legs

    @property
    def transfer(self) -> Transfer | None:
        """The call's transfer under way, if any (one at a time)."""
        last = self.transfers[-1] if self.transfers else None
        return last if last is not None and last.live else None
