"""An execution's life as a pure state machine: each call event gives the new execution and what to do next.

:func:`start` makes an outbound call's first attempt; :func:`apply` takes one telephony event (ringing, answered,
ended, agent gone, agent's media failed) and returns a :class:`Transition`: the execution as it now is, and the
actions the caller must carry out (dial the next gateway, hand an answered call to its agent, hang the caller up
once its agent is gone). Events of a transfer's legs are the transfer's own state machine's
(:mod:`byot_core.domain.transfer_flow`). Nothing here does I/O; the use case stores the execution and performs the
actions.

The rules it keeps, whatever order events arrive in: a callee is never dialled twice (no new attempt once one has
rung or been answered, no gateway tried twice); only a route failure of the current attempt moves on to the next
gateway; a final status is never left; events for unknown channels, ended attempts or older attempts change
nothing that matters to the call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from byot_core.domain import transfer_flow
from byot_core.domain.call_actions import Action, Dial, FailoverPlan, HandOver, HangUp, Join, Transition
from byot_core.domain.causes import Q850, REFUSE_FOR_NOW, HangupReason
from byot_core.domain.dialplan import EndKind, end_attempt, next_gateway
from byot_core.domain.events import (
    AgentDisconnected,
    AgentMediaFailed,
    CallAnswered,
    CallEnded,
    CallRinging,
    CodecAgreed,
    MediaEnded,
)
from byot_core.domain.execution import Attempt, Direction, Execution
from byot_core.domain.status import ExecutionStatus, advance
from byot_core.domain.trunk import Gateway

__all__ = [
    "AGENT_MEDIA_FAILED",
    "DROPPED_TEXT",
    "END_NOT_SEEN",
    "NOT_TAKEN",
    "Action",
    "Dial",
    "ExecutionEvent",
    "FailoverPlan",
    "HandOver",
    "HangUp",
    "Join",
    "Transition",
    "apply",
    "start",
    "usable_gateways",
]

#: The events that change an execution.
ExecutionEvent = (
    CallRinging | CallAnswered | CallEnded | CodecAgreed | AgentDisconnected | AgentMediaFailed | MediaEnded
)

#: The cause name recorded when the agent's media fails.
AGENT_MEDIA_FAILED = "AGENT_MEDIA_FAILED"
#: The cause name recorded when an answered call was hung up before any instance of the library took it.
NOT_TAKEN = "NOT_TAKEN"
#: The reason recorded then.
DROPPED_TEXT = "Answered, then dropped before any instance of the library took the call; no agent had it"
#: The cause name recorded when a call's end was not seen: the instance following it stopped before it ended.
END_NOT_SEEN = "END_NOT_SEEN"


def _with_attempt(execution: Execution, index: int, attempt: Attempt, now: datetime) -> Execution:
    attempts = list(execution.attempts)
    attempts[index] = attempt
    return attrs.evolve(execution, attempts=tuple(attempts), updated_at=now)


def _dial(execution: Execution, gateway: Gateway, dialled: str, channel_id: str, now: datetime) -> Transition:
    attempt = Attempt(channel_id=channel_id, started_at=now, gateway_id=gateway.id, dialled=dialled, taken=False)
    dialling = attrs.evolve(execution, attempts=(*execution.attempts, attempt), updated_at=now)
    return Transition(dialling, (Dial(channel_id, gateway, dialled),))


def start(execution: Execution, plan: FailoverPlan, channel_id: str, now: datetime) -> Transition:
    """The first attempt of an outbound call, through the plan's first gateway.

    An execution that is already final (``balance-low``), or a plan without gateways, dials nothing.
    """
    if execution.status.is_terminal or execution.attempts or not plan.gateways:
        return Transition(execution, changed=False)
    return _dial(execution, plan.gateways[0], plan.dialled, channel_id, now)


def apply(
    execution: Execution,
    event: ExecutionEvent,
    now: datetime,
    *,
    plan: FailoverPlan | None = None,
    new_channel_id: Callable[[], str] | None = None,
) -> Transition:
    """The execution after one event, and what to do next.

    ``plan`` and ``new_channel_id`` are needed only for an outbound call's attempt that ends in a route failure;
    without them the call ends there. The leg's SIP Call-ID and codec are recorded from whichever event first
    reports them, even one that changes nothing else.
    """
    noted = _noted(execution, event, now)
    transition = _apply(noted, event, now, plan, new_channel_id)
    if noted is not execution and not transition.changed:
        return Transition(transition.execution, transition.actions)
    return transition


def _noted(execution: Execution, event: ExecutionEvent, now: datetime) -> Execution:
    """The execution with the Call-ID and codec the event reports for its leg, where the leg had none."""
    if not isinstance(event, CallRinging | CallAnswered | CallEnded | CodecAgreed):
        return execution
    codec = event.codec if isinstance(event, CallAnswered | CodecAgreed) else None
    call_id = None if isinstance(event, CodecAgreed) else event.sip_call_id
    if call_id is None and codec is None:
        return execution
    index = execution.attempt_for(event.channel_id)
    if index is None:
        where = transfer_flow.transfer_leg(execution, event.channel_id)
        return execution if where is None else transfer_flow.noting_leg(execution, where, call_id, codec, now)
    attempt = execution.attempts[index]
    noted = attempt.noting(call_id, codec)
    return execution if noted is attempt else _with_attempt(execution, index, noted, now)


def _apply(
    execution: Execution,
    event: ExecutionEvent,
    now: datetime,
    plan: FailoverPlan | None,
    new_channel_id: Callable[[], str] | None,
) -> Transition:
    if isinstance(event, CodecAgreed):
        return Transition(execution, changed=False)  # what it says was noted above; nothing else changes
    index = execution.attempt_for(event.channel_id)
    if isinstance(event, MediaEnded):
        # Figures arrive once the media side is torn down, usually after the call itself has ended.
        stats = transfer_flow.released_media(execution, event.stats)
        if index is None or execution.media == stats:
            return Transition(execution, changed=False)
        return Transition(attrs.evolve(execution, media=stats, updated_at=now))
    if index is None:
        leg = transfer_flow.transfer_leg(execution, event.channel_id)
        if leg is None or not isinstance(event, CallRinging | CallAnswered | CallEnded):
            return Transition(execution, changed=False)
        return transfer_flow.on_leg(execution, leg, event, now, plan=plan, new_channel_id=new_channel_id)
    if execution.attempts[index].ended_at is not None:
        return Transition(execution, changed=False)
    attempt = execution.attempts[index]
    current = index == len(execution.attempts) - 1
    if isinstance(event, CallRinging):
        updated = _with_attempt(execution, index, attrs.evolve(attempt, reached_ringing=True), now)
        if current:
            updated = attrs.evolve(updated, status=advance(updated.status, ExecutionStatus.RINGING))
        return Transition(updated)
    if isinstance(event, CallAnswered):
        taken = attempt.taken or event.in_application
        answered = attrs.evolve(attempt, reached_ringing=True, answered=True, taken=taken)
        updated = _with_attempt(execution, index, answered, now)
        if not current:
            return Transition(updated)
        status = advance(updated.status, ExecutionStatus.IN_PROGRESS)
        updated = attrs.evolve(updated, status=status, answered_at=updated.answered_at or now)
        # Handed over once the call is in the library's hands (taken), never on an answer alone: with several
        # instances, each hears the answer, and only the one whose application the call entered may connect it.
        first_take = execution.direction is Direction.OUTBOUND and taken and not attempt.taken
        return Transition(updated, (HandOver(event.channel_id),) if first_take else ())
    joined = execution.transfer is not None and execution.transfer.answered_at is not None
    if isinstance(event, AgentDisconnected | AgentMediaFailed) and joined:
        # The agent was released by the transfer: its side ending is no reason to end the caller's call.
        return Transition(execution, changed=False)
    if isinstance(event, AgentDisconnected):
        # The agent hung up: the call ends normally once the caller's channel is gone.
        status = advance(execution.status, ExecutionStatus.CALL_DISCONNECTED)
        updated = attrs.evolve(execution, status=status, updated_at=now)
        return Transition(updated, (HangUp(event.channel_id, Q850.NORMAL_CLEARING),))
    if isinstance(event, AgentMediaFailed):
        reason = HangupReason(f"Agent media connection failed: {event.detail}", AGENT_MEDIA_FAILED)
        failed = attrs.evolve(
            execution,
            status=advance(execution.status, ExecutionStatus.FAILED),
            hangup_reason=execution.hangup_reason if execution.status.is_terminal else reason,
            updated_at=now,
        )
        # Not yet answered (an inbound call whose agent could not be reached): refused so the carrier may retry.
        cause = Q850.NORMAL_TEMPORARY_FAILURE if execution.answered_at is not None else REFUSE_FOR_NOW
        return Transition(failed, (HangUp(event.channel_id, cause),))
    return _ended(execution, index, event, now, plan, new_channel_id)


def _ended(
    execution: Execution,
    index: int,
    event: CallEnded,
    now: datetime,
    plan: FailoverPlan | None,
    new_channel_id: Callable[[], str] | None,
) -> Transition:
    end, ended = end_attempt(execution.attempts[index], event, now)
    updated = _with_attempt(execution, index, ended, now)
    if index != len(execution.attempts) - 1:
        return Transition(updated)
    # The caller is gone: a transfer under way goes with it (its target's leg is hung up).
    left = transfer_flow.on_caller_ended(updated, now)
    updated, leftovers = left.execution, left.actions
    if execution.status.is_terminal:
        return Transition(updated, leftovers)
    if (
        end.kind is EndKind.ROUTE_FAILURE
        and execution.direction is Direction.OUTBOUND
        and plan is not None
        and new_channel_id is not None
    ):
        gateway = next_gateway(plan.gateways, updated.attempts)
        if gateway is not None:
            return _dial(updated, gateway, plan.dialled, new_channel_id(), now)
    status, reason = end.status, end.reason
    if execution.direction is Direction.INBOUND and end.kind is not EndKind.ANSWERED:
        status = ExecutionStatus.CANCELED
    if ended.answered and not ended.taken:
        # Answered, then hung up before reaching any of the library's applications: the callee picked up to a
        # dropped line and no agent ever had the call, whatever cause the hangup carried.
        status, reason = ExecutionStatus.FAILED, HangupReason(DROPPED_TEXT, NOT_TAKEN)
    final = attrs.evolve(updated, status=advance(updated.status, status), hangup_reason=reason, ended_at=now)
    return Transition(final, leftovers)


def usable_gateways(plan: Sequence[str], gateways: Sequence[Gateway]) -> tuple[Gateway, ...]:
    """The planned gateways (ids, in the call's order) that the trunk still has."""
    by_id = {gateway.id: gateway for gateway in gateways}
    return tuple(by_id[g] for g in plan if g in by_id)
