"""Execution statuses (the guide's), and the transitions between them.

Statuses only move forward: ``initiated → ringing → in-progress → call-disconnected → completed``, with the
unanswered endings (busy, no-answer, canceled, failed) reachable before the call is answered, and ``failed`` after it
when the agent's media fails. Terminal statuses never
change. A duplicate or late event asks for a move that is not allowed, and :func:`advance` leaves the status as it was.
"""

from __future__ import annotations

import enum

__all__ = ["TERMINAL", "ExecutionStatus", "advance", "can_move"]


class ExecutionStatus(enum.Enum):
    """The status of a call's execution record, spelled as the guide spells it."""

    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    CALL_DISCONNECTED = "call-disconnected"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"
    FAILED = "failed"
    BALANCE_LOW = "balance-low"

    @property
    def is_terminal(self) -> bool:
        """Whether the status is final."""
        return self in TERMINAL


S = ExecutionStatus
#: Statuses that never change once reached.
TERMINAL = frozenset({S.COMPLETED, S.BUSY, S.NO_ANSWER, S.CANCELED, S.FAILED, S.BALANCE_LOW})
_UNANSWERED_ENDINGS = frozenset({S.BUSY, S.NO_ANSWER, S.CANCELED, S.FAILED})
_MOVES: dict[ExecutionStatus, frozenset[ExecutionStatus]] = {
    S.INITIATED: frozenset({S.RINGING, S.IN_PROGRESS, *_UNANSWERED_ENDINGS}),
    S.RINGING: frozenset({S.IN_PROGRESS, *_UNANSWERED_ENDINGS}),
    # Once answered, the call ends as completed whatever the cause says (Asterisk reports 0 or 16 alike).
    # An agent whose media fails mid-call ends the call failed, whatever the caller's side then reports.
    S.IN_PROGRESS: frozenset({S.CALL_DISCONNECTED, S.COMPLETED, S.FAILED}),
    S.CALL_DISCONNECTED: frozenset({S.COMPLETED, S.FAILED}),
}


def can_move(current: ExecutionStatus, target: ExecutionStatus) -> bool:
    """Whether an execution in ``current`` may move to ``target``."""
    return target in _MOVES.get(current, frozenset())


def advance(current: ExecutionStatus, target: ExecutionStatus) -> ExecutionStatus:
    """The status after an event asking for ``target``: ``target`` if the move is allowed, else ``current``."""
    return target if can_move(current, target) else current
