"""A transfer's life as a pure state machine, beside the call's own (:mod:`byot_core.domain.call_flow`).

:func:`begin` starts a ``bridge`` transfer: a leg dialled to the target through the call's trunk, next to the caller.
:func:`on_leg` takes one event of a leg: ringing; answered (once in the library's hands: bridge the caller with the
target and release the agent, :class:`~byot_core.domain.call_actions.Join`); ended (a route failure dials the next
gateway; busy, no answer or a failure leave the caller with its agent; the end of a connected transfer ends the call).
:func:`on_caller_ended` ends what the caller's hang-up leaves (the target's leg). :func:`begin_refer` starts a ``refer``
transfer instead: the carrier is asked to place the new call, and the end of the caller's leg completes it. Nothing
here does I/O.

The rules it keeps: one transfer at a time; the caller never loses its agent unless the target answered; a target
never stays on the line without its caller; a transfer's final status is never left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from byot_core.domain.attempt import Attempt
from byot_core.domain.call_actions import Action, Dial, FailoverPlan, HangUp, Join, Refer, Transition
from byot_core.domain.causes import Q850
from byot_core.domain.dialplan import EndKind, end_attempt, next_gateway
from byot_core.domain.events import CallAnswered, CallEnded, CallRinging
from byot_core.domain.execution import Execution
from byot_core.domain.media import MediaStats
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import Transfer, TransferMode, TransferRequest, TransferStatus

__all__ = [
    "CALLER_LEFT_TEXT",
    "NOT_JOINED_TEXT",
    "REFERRED_TEXT",
    "begin",
    "begin_refer",
    "not_joined",
    "on_caller_ended",
    "on_leg",
    "refer_failed",
    "released_media",
    "transfer_leg",
]

#: Why a transfer failed when its caller hung up before the target answered.
CALLER_LEFT_TEXT = "The caller hung up before the target answered"
#: Why a transfer failed when its target answered but could not be bridged with the caller.
NOT_JOINED_TEXT = "The target answered but could not be put through to the caller"

#: What a ``refer`` transfer records once the carrier ends the call's leg after the REFER.
REFERRED_TEXT = "The carrier took the call over and ended the platform's leg"

# A leg's end, as the call's own statuses classify it, and what the transfer then records.
_OUTCOMES = {
    ExecutionStatus.BUSY: (TransferStatus.BUSY, "The target was busy"),
    ExecutionStatus.NO_ANSWER: (TransferStatus.NO_ANSWER, "The target did not answer"),
    ExecutionStatus.CANCELED: (TransferStatus.NO_ANSWER, "The target did not answer"),
}


def _with_transfer(execution: Execution, index: int, transfer: Transfer, now: datetime) -> Execution:
    transfers = list(execution.transfers)
    transfers[index] = transfer
    return attrs.evolve(execution, transfers=tuple(transfers), updated_at=now)


def _with_leg(transfer: Transfer, index: int, leg: Attempt) -> Transfer:
    legs = list(transfer.legs)
    legs[index] = leg
    return attrs.evolve(transfer, legs=tuple(legs))


def transfer_leg(execution: Execution, channel_id: str) -> tuple[int, int] | None:
    """Which transfer, and which of its legs, uses the channel (indexes), if any."""
    for index, transfer in enumerate(execution.transfers):
        leg = transfer.leg_for(channel_id)
        if leg is not None:
            return index, leg
    return None


def noting_leg(
    execution: Execution, where: tuple[int, int], sip_call_id: str | None, codec: str | None, now: datetime
) -> Execution:
    """The execution with a transfer leg's Call-ID and codec, where it had none (:meth:`Attempt.noting`)."""
    transfer = execution.transfers[where[0]]
    leg = transfer.legs[where[1]]
    noted = leg.noting(sip_call_id, codec)
    return execution if noted is leg else _with_transfer(execution, where[0], _with_leg(transfer, where[1], noted), now)


def begin(
    execution: Execution,
    request: TransferRequest,
    plan: FailoverPlan,
    channel_id: str,
    now: datetime,
) -> Transition:
    """Start a ``bridge`` transfer: record it and dial its target through the plan's first gateway, beside the caller.

    With no gateway left on the trunk (whatever the mode asked) it is recorded ``failed`` at once, and nothing is
    dialled or sent.
    """
    caller = execution.attempts[-1].channel_id
    transfer = Transfer(
        to=request.to,
        mode=request.mode,
        status=TransferStatus.DIALING,
        started_at=now,
        dialled=plan.dialled,
        ring_timeout_seconds=request.ring_timeout_seconds,
        gateway_plan=tuple(g.id for g in plan.gateways),
    )
    if not plan.gateways:
        failed = attrs.evolve(
            transfer, status=TransferStatus.FAILED, ended_at=now, detail="The trunk has no gateway to dial through"
        )
        return Transition(attrs.evolve(execution, transfers=(*execution.transfers, failed), updated_at=now))
    gateway = plan.gateways[0]
    leg = Attempt(channel_id=channel_id, started_at=now, gateway_id=gateway.id, dialled=plan.dialled, taken=False)
    started = attrs.evolve(transfer, legs=(leg,))
    updated = attrs.evolve(execution, transfers=(*execution.transfers, started), updated_at=now)
    return Transition(updated, (Dial(channel_id, gateway, plan.dialled, beside=caller),))


def begin_refer(execution: Execution, request: TransferRequest, refer_to: str, now: datetime) -> Transition:
    """Start a ``refer`` transfer: record it and ask the carrier, through the caller's channel, to call ``refer_to``."""
    caller = execution.attempts[-1].channel_id
    transfer = Transfer(
        to=request.to,
        mode=TransferMode.REFER,
        status=TransferStatus.DIALING,
        started_at=now,
        dialled=refer_to,
        ring_timeout_seconds=request.ring_timeout_seconds,
    )
    updated = attrs.evolve(execution, transfers=(*execution.transfers, transfer), updated_at=now)
    return Transition(updated, (Refer(caller, refer_to),))


def refer_failed(execution: Execution, detail: str, now: datetime) -> Transition:
    """A ``refer`` transfer under way that did not happen (refused, or the carrier never took the call): ``failed``.

    The caller stays with its agent, whose media never stopped.
    """
    transfer = execution.transfer
    if transfer is None or transfer.mode is not TransferMode.REFER:
        return Transition(execution, changed=False)
    failed = attrs.evolve(transfer, status=TransferStatus.FAILED, ended_at=now, detail=detail)
    return Transition(_with_transfer(execution, len(execution.transfers) - 1, failed, now))


def released_media(execution: Execution, stats: MediaStats) -> MediaStats:
    """The media summary as the call's transfers explain it: a ``refer`` transfer done released the agent.

    (A ``bridge`` transfer's release is reported as such by telephony itself.)
    """
    last = execution.transfers[-1] if execution.transfers else None
    referred = last is not None and last.mode is TransferMode.REFER and last.status is TransferStatus.COMPLETED
    return attrs.evolve(stats, ending="transferred") if referred and stats.ending == "caller-left" else stats


def on_leg(
    execution: Execution,
    where: tuple[int, int],
    event: CallRinging | CallAnswered | CallEnded,
    now: datetime,
    *,
    plan: FailoverPlan | None = None,
    new_channel_id: Callable[[], str] | None = None,
) -> Transition:
    """The execution after one event of a transfer's leg, and what to do next.

    ``plan`` (the transfer's gateways still usable, and its dialled number) and ``new_channel_id`` are needed only
    for a leg that ends in a route failure; without them the transfer fails there.
    """
    index, leg_index = where
    transfer = execution.transfers[index]
    leg = transfer.legs[leg_index]
    current = transfer.live and leg_index == len(transfer.legs) - 1
    if leg.ended_at is not None:
        return Transition(execution, changed=False)
    if isinstance(event, CallRinging):
        if not current or leg.reached_ringing:
            return Transition(execution, changed=False)
        ringing = _with_leg(transfer, leg_index, attrs.evolve(leg, reached_ringing=True))
        if ringing.status is TransferStatus.DIALING:
            ringing = attrs.evolve(ringing, status=TransferStatus.RINGING)
        return Transition(_with_transfer(execution, index, ringing, now))
    if isinstance(event, CallAnswered):
        return _answered(execution, index, leg_index, event, now, current=current)
    return _leg_ended(execution, index, leg_index, event, now, plan, new_channel_id)


def _answered(
    execution: Execution, index: int, leg_index: int, event: CallAnswered, now: datetime, *, current: bool
) -> Transition:
    transfer = execution.transfers[index]
    leg = transfer.legs[leg_index]
    taken = leg.taken or event.in_application
    answered_leg = attrs.evolve(leg, reached_ringing=True, answered=True, taken=taken)
    updated = _with_transfer(execution, index, _with_leg(transfer, leg_index, answered_leg), now)
    if not current or execution.status.is_terminal:
        # Its caller is gone, or the transfer ended meanwhile: nobody is there for the target.
        return Transition(updated, (HangUp(leg.channel_id, Q850.NORMAL_CLEARING),))
    if not taken or leg.taken:
        return Transition(updated)
    joined = attrs.evolve(updated.transfers[index], status=TransferStatus.ANSWERED, answered_at=now)
    return Transition(
        _with_transfer(updated, index, joined, now),
        (Join(execution.attempts[-1].channel_id, leg.channel_id),),
    )


def _leg_ended(
    execution: Execution,
    index: int,
    leg_index: int,
    event: CallEnded,
    now: datetime,
    plan: FailoverPlan | None,
    new_channel_id: Callable[[], str] | None,
) -> Transition:
    transfer = execution.transfers[index]
    end, ended_leg = end_attempt(transfer.legs[leg_index], event, now)
    transfer = _with_leg(transfer, leg_index, ended_leg)
    if not transfer.live or leg_index != len(transfer.legs) - 1:
        return Transition(_with_transfer(execution, index, transfer, now))
    actions: tuple[Action, ...] = ()
    if transfer.status is TransferStatus.ANSWERED:
        # The target hung up: the call it took over is over, and so is the caller's.
        transfer = _over(transfer, TransferStatus.COMPLETED, "The target hung up", event, now)
        actions = (HangUp(execution.attempts[-1].channel_id, Q850.NORMAL_CLEARING),)
    elif end.kind is EndKind.ROUTE_FAILURE and plan is not None and new_channel_id is not None:
        gateway = next_gateway(plan.gateways, transfer.legs)
        if gateway is not None:
            channel_id = new_channel_id()
            added = Attempt(channel_id=channel_id, started_at=now, gateway_id=gateway.id, dialled=plan.dialled,
                            taken=False)  # fmt: skip
            transfer = attrs.evolve(transfer, legs=(*transfer.legs, added))
            caller = execution.attempts[-1].channel_id
            return Transition(
                _with_transfer(execution, index, transfer, now),
                (Dial(channel_id, gateway, plan.dialled, beside=caller),),
            )
    if transfer.live:
        failed = (TransferStatus.FAILED, f"The target's call failed: {end.reason.text}")
        status, detail = _OUTCOMES.get(end.status, failed)
        transfer = _over(transfer, status, detail, event, now)
    return Transition(_with_transfer(execution, index, transfer, now), actions)


def _over(transfer: Transfer, status: TransferStatus, detail: str, event: CallEnded, now: datetime) -> Transfer:
    return attrs.evolve(
        transfer, status=status, detail=detail, ended_at=now, sip_code=event.sip_code, q850_cause=event.q850_cause
    )


def on_caller_ended(execution: Execution, now: datetime) -> Transition:
    """What the caller's hang-up leaves of a transfer under way: its target's leg is hung up.

    A connected transfer is ``completed``; one still dialling or ringing ``failed`` (:data:`CALLER_LEFT_TEXT`).
    """
    transfer = execution.transfer
    if transfer is None:
        return Transition(execution, changed=False)
    index = len(execution.transfers) - 1
    if transfer.mode is TransferMode.REFER:
        # Asterisk does not tell ARI the REFER's outcome (its NOTIFYs); carriers end the transferred leg once the new
        # call is theirs, so the leg's end after a REFER is taken as the transfer done.
        done = attrs.evolve(transfer, status=TransferStatus.COMPLETED, ended_at=now, detail=REFERRED_TEXT)
        return Transition(_with_transfer(execution, index, done, now))
    if transfer.status is TransferStatus.ANSWERED:
        ended = attrs.evolve(transfer, status=TransferStatus.COMPLETED, ended_at=now, detail="The caller hung up")
    else:
        ended = attrs.evolve(transfer, status=TransferStatus.FAILED, ended_at=now, detail=CALLER_LEFT_TEXT)
    actions = tuple(HangUp(leg.channel_id, Q850.NORMAL_CLEARING) for leg in transfer.legs if leg.ended_at is None)
    return Transition(_with_transfer(execution, index, ended, now), actions)


def not_joined(execution: Execution, target_channel_id: str, now: datetime) -> Transition:
    """The target answered but telephony could not bridge it with the caller.

    The transfer failed, the target is hung up, and the caller stays with its agent (telephony released nothing).
    """
    where = transfer_leg(execution, target_channel_id)
    if where is None or not execution.transfers[where[0]].live:
        return Transition(execution, changed=False)
    transfer = execution.transfers[where[0]]
    failed = attrs.evolve(transfer, status=TransferStatus.FAILED, ended_at=now, detail=NOT_JOINED_TEXT)
    actions = (HangUp(target_channel_id, Q850.NORMAL_TEMPORARY_FAILURE),)
    return Transition(_with_transfer(execution, where[0], failed, now), actions)
