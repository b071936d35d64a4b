"""Calls taken over from an instance that stopped: brought up to date from what telephony says their channels do now.

:func:`adopt` settles the caller's side (its last attempt); :func:`adopt_leg` the target's side of a transfer under
way, so that a transferred call whose instance stopped still ends when its target hangs up. Pure, as
:mod:`byot_core.domain.call_flow` is: the use case follows the channels, stores the execution and does the actions.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from byot_core.domain.call_actions import HangUp, Transition
from byot_core.domain.call_flow import END_NOT_SEEN, apply
from byot_core.domain.causes import REFUSE_FOR_NOW, HangupReason
from byot_core.domain.events import CallAnswered, CallEnded, CallRinging
from byot_core.domain.execution import AttemptResult, Direction, Execution
from byot_core.domain.status import ExecutionStatus, advance
from byot_core.domain.telephony import ChannelNow
from byot_core.domain.transfer_flow import on_caller_ended, on_leg

__all__ = ["LEG_END_NOT_SEEN", "adopt", "adopt_leg"]

#: What a transfer's target leg that ended while no instance followed it is recorded with.
LEG_END_NOT_SEEN = "The target's call ended while no instance followed it"


def adopt(execution: Execution, channel: ChannelNow, now: datetime) -> Transition:
    """An execution taken over from an instance that stopped, given what its current channel does now.

    What can be known is finished; what cannot is said. A channel still ringing or answered brings the execution up
    to date (an outbound call answered meanwhile is handed to its agent now), and its later events finish it. A
    channel that is gone ended the call while nobody followed it: an answered call ends ``completed``, any other
    ``failed``, both with a reason (cause ``END_NOT_SEEN``) saying that the end was not seen; the moment recorded is
    the takeover's, and a transfer under way ends with it (its target's leg hung up). An inbound call not yet
    answered cannot be resumed halfway (its agent was never connected): it is refused to the carrier with
    ``REFUSE_FOR_NOW`` (503: it may retry elsewhere), and ends ``failed``. A final execution is left alone.
    """
    if execution.status.is_terminal:
        return Transition(execution, changed=False)
    if not execution.attempts:
        text = "The instance placing the call stopped before dialling it"
        status = advance(execution.status, ExecutionStatus.FAILED)
        reason = HangupReason(text, END_NOT_SEEN)
        return Transition(attrs.evolve(execution, status=status, hangup_reason=reason, ended_at=now, updated_at=now))
    index = len(execution.attempts) - 1
    attempt = execution.attempts[index]
    if channel is ChannelNow.RINGING:
        return apply(execution, CallRinging(attempt.channel_id), now)
    if channel is ChannelNow.ANSWERED:
        return apply(execution, CallAnswered(attempt.channel_id), now)
    inbound_waiting = channel is ChannelNow.STARTING and execution.direction is Direction.INBOUND
    if channel is ChannelNow.STARTING and not inbound_waiting:
        return Transition(execution, changed=False)
    answered = attempt.answered or execution.answered_at is not None
    if inbound_waiting:
        text = "The instance taking the call stopped before answering it; the caller was refused"
    elif answered:
        text = "Call ended while the instance following it was stopped; when and why it ended are unknown"
    else:
        text = "The instance following the call stopped; how the call ended is unknown"
    status = ExecutionStatus.COMPLETED if answered and not inbound_waiting else ExecutionStatus.FAILED
    ended = attrs.evolve(
        attempt,
        ended_at=now,
        result=AttemptResult.ANSWERED if answered else AttemptResult.FINAL,
    )
    finished = attrs.evolve(
        attrs.evolve(execution, attempts=(*execution.attempts[:index], ended), updated_at=now),
        status=advance(execution.status, status),
        hangup_reason=HangupReason(text, END_NOT_SEEN),
        ended_at=now,
    )
    actions = (HangUp(attempt.channel_id, REFUSE_FOR_NOW),) if inbound_waiting else ()
    # The caller is gone: a transfer under way goes with it (its target's leg is hung up, not left in the bridge).
    left = on_caller_ended(finished, now)
    return Transition(left.execution, actions + left.actions)


def adopt_leg(execution: Execution, channel: ChannelNow, now: datetime) -> Transition:
    """A call's transfer under way, taken over too, given what its target's current leg does now.

    A leg still ringing or answered changes nothing here: its events, followed from now on, finish it. A leg that is
    gone ended while nobody followed it, as if its end were seen now: a connected transfer is over (its target hung
    up, so the caller is hung up too, not left alone in the bridge); one not yet connected failed, and the caller
    stays with its agent. A call without a transfer under way, or already final, is left alone.
    """
    transfer = execution.transfer
    if transfer is None or execution.status.is_terminal or channel is not ChannelNow.GONE:
        return Transition(execution, changed=False)
    where = (len(execution.transfers) - 1, len(transfer.legs) - 1)
    ended = CallEnded(transfer.legs[-1].channel_id, cause_text=LEG_END_NOT_SEEN)
    return on_leg(execution, where, ended, now)
