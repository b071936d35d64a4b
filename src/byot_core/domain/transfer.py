"""Transferring a call in progress to a phone number (beyond the guide): the request, and the record of each transfer.

Two modes. ``bridge`` works with every carrier: the library dials the target through the call's own trunk (its
gateways and failover, its limits, a ring timeout) and, once the target answers, bridges the caller with it and
releases the agent; while the target rings, or if it is busy, does not answer or fails, the caller stays with the
agent. ``refer`` asks the carrier to place the new call itself (a SIP REFER once answered), for carriers that allow it.

A transfer's record says where it went, how, and how far it got: ``dialing``, ``ringing``, ``answered`` (the caller
now talks to the target), then ``completed`` once that call ends, or ``busy``, ``no-answer``, ``failed`` when it did
not connect; with the SIP code and Q.850 cause where known, and the times.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from byot_core.domain.attempt import Attempt
from byot_core.domain.call_request import number_key, ring_timeout_problem
from byot_core.domain.errors import Conflict, Problem, ValidationFailed

__all__ = [
    "MSG_TRANSFER_MODE",
    "Transfer",
    "TransferInProgress",
    "TransferMode",
    "TransferRequest",
    "TransferStatus",
    "transfer_request",
]

MSG_TRANSFER_MODE = "mode must be 'bridge' or 'refer'"


class TransferMode(enum.Enum):
    """How a call is transferred."""

    BRIDGE = "bridge"
    REFER = "refer"


class TransferStatus(enum.Enum):
    """How far a transfer got."""

    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Whether the transfer is over (it connected and that call ended, or it never connected)."""
        return self in _FINAL


_FINAL = frozenset({TransferStatus.COMPLETED, TransferStatus.BUSY, TransferStatus.NO_ANSWER, TransferStatus.FAILED})


@attrs.frozen
class TransferRequest:
    """A checked transfer request: the target (E.164, as given, and its canonical key), the mode, a ring timeout."""

    to: str
    to_key: str
    mode: TransferMode = TransferMode.BRIDGE
    ring_timeout_seconds: int | None = None


def transfer_request(
    to: str,
    mode: TransferMode | str = TransferMode.BRIDGE,
    *,
    ring_timeout_seconds: int | None = None,
    default_region: str | None = None,
) -> TransferRequest:
    """A transfer request from typed values; raises :class:`ValidationFailed` with every problem.

    The target is checked as a call's recipient is; the ring timeout has the same bounds as a call's.
    """
    key, to_problem = number_key("to", to, default_region)
    mode_problem = None
    if not isinstance(mode, TransferMode):
        try:
            mode = TransferMode(mode)
        except ValueError:
            mode_problem = Problem("mode", "invalid_field", MSG_TRANSFER_MODE)
    ring_problem = ring_timeout_problem("ring_timeout_seconds", ring_timeout_seconds)
    problems = [p for p in (to_problem, mode_problem, ring_problem) if p is not None]
    if problems or key is None or not isinstance(mode, TransferMode):
        raise ValidationFailed(problems)
    return TransferRequest(to, key, mode, ring_timeout_seconds)


@attrs.frozen
class Transfer:
    """One transfer of a call: target, mode, progress, outcome and times.

    ``legs`` are the attempts that dialled the target (``bridge``: one per gateway tried); ``dialled`` is the number
    as sent to the carrier and ``gateway_plan`` the order the trunk's gateways are tried in. ``detail`` says in words
    why a transfer did not connect, or what ended it.
    """

    to: str
    mode: TransferMode
    status: TransferStatus
    started_at: datetime
    dialled: str = ""
    ring_timeout_seconds: int | None = None
    gateway_plan: tuple[str, ...] = ()
    legs: tuple[Attempt, ...] = ()
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    sip_code: int | None = None
    q850_cause: int | None = None
    detail: str | None = None

    @property
    def live(self) -> bool:
        """Whether the transfer is still under way (dialling, ringing, or its call connected)."""
        return not self.status.is_final

    def leg_for(self, channel_id: str) -> int | None:
        """The index of the leg on that channel, if any."""
        for index, leg in enumerate(self.legs):
            if leg.channel_id == channel_id:
                return index
        return None


class TransferInProgress(Conflict):
    """The call is being transferred already: one transfer at a time."""

    code = "transfer_in_progress"

    def __init__(self) -> None:
        super().__init__("The call is already being transferred")
