"""Transferring a call in progress by bridging (on every storage): connected, refused, busy, failed over, ended."""

from __future__ import annotations

import pytest

from byot_core import ExecutionNotFound, ValidationFailed
from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.attempt import AttemptResult
from byot_core.domain.call_control import CallNotInProgress
from byot_core.domain.errors import ChannelsFull
from byot_core.domain.execution import Execution
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import TransferInProgress, TransferMode, TransferStatus, transfer_request
from byot_core.guide_api import GuideApi
from byot_core.services import transfer_steps
from tests.support import ACCOUNT, GUIDE_CALL, OTHER_ACCOUNT, World, make_world
from tests.usecases.test_calls import trunk_with_number

TARGET = "+14155550100"
# The guide's trunk sends the leading + (outbound_leading_plus_enabled defaults to true).
DIALLED = "+14155550100"


async def answered_call(world: World, **trunk: object) -> Execution:
    """A placed call, answered and held by the callee; the transfer's target answers through gw1 unless scripted."""
    await trunk_with_number(world, **trunk)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert execution.status is ExecutionStatus.IN_PROGRESS
    return execution


async def test_a_bridged_transfer_joins_the_caller_with_the_target_until_the_target_hangs_up(world: World) -> None:
    """Dialled through the trunk beside the caller; joined on answer; the target's hang-up ends the whole call."""
    call = await answered_call(world)
    caller = call.attempts[0].channel_id
    started = await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    assert [(t.to, t.mode, t.status) for t in started.transfers] == [
        (TARGET, TransferMode.BRIDGE, TransferStatus.DIALING)
    ]
    placed = world.telephony.placed[-1].request
    assert (placed.dialled, placed.beside, placed.caller_id) == (DIALLED, caller, "+919876543210")
    await world.settle()
    joined = await world.app.calls.get(ACCOUNT, call.id)
    transfer = joined.transfers[0]
    target = transfer.legs[0].channel_id
    assert (transfer.status, transfer.answered_at is not None) == (TransferStatus.ANSWERED, True)
    assert world.telephony.joined == {caller: target}
    assert joined.status is ExecutionStatus.IN_PROGRESS
    world.telephony.remote_hang_up(target)
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, call.id)
    assert ended.transfers[0].status is TransferStatus.COMPLETED
    assert ended.transfers[0].detail == "The target hung up"
    assert ended.status is ExecutionStatus.COMPLETED
    assert caller in world.telephony.hangups  # the caller is not left on a line with nobody


async def test_the_callers_hang_up_ends_a_connected_transfer_and_its_target(world: World) -> None:
    """Once joined, the caller hanging up completes the transfer and hangs the target up."""
    call = await answered_call(world)
    await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    await world.settle()
    target = (await world.app.calls.get(ACCOUNT, call.id)).transfers[0].legs[0].channel_id
    world.telephony.remote_hang_up(call.attempts[0].channel_id)
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, call.id)
    assert (ended.status, ended.transfers[0].status) == (ExecutionStatus.COMPLETED, TransferStatus.COMPLETED)
    assert ended.transfers[0].detail == "The caller hung up"
    assert target in world.telephony.hangups


@pytest.mark.parametrize(
    ("outcome", "status", "sip_code"),
    [
        (Outcome.BUSY, TransferStatus.BUSY, 486),
        (Outcome.NO_ANSWER, TransferStatus.NO_ANSWER, 480),
        (Outcome.REJECT, TransferStatus.FAILED, 603),
    ],
)
async def test_a_transfer_that_does_not_connect_leaves_the_caller_with_its_agent(
    world: World, outcome: Outcome, status: TransferStatus, sip_code: int
) -> None:
    """Busy, no answer, rejected: recorded with the SIP code; the call goes on, nothing joined, and may try again."""
    call = await answered_call(world)
    world.telephony.script("gw1.example.com", outcome, dialled=DIALLED)
    await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    await world.settle()
    after = await world.app.calls.get(ACCOUNT, call.id)
    transfer = after.transfers[0]
    assert (transfer.status, transfer.sip_code, transfer.ended_at is not None) == (status, sip_code, True)
    assert after.status is ExecutionStatus.IN_PROGRESS
    assert world.telephony.joined == {}
    assert call.attempts[0].channel_id not in world.telephony.hangups
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD, dialled=DIALLED)
    again = await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    assert [t.status for t in again.transfers] == [status, TransferStatus.DIALING]


async def test_a_transfer_fails_over_to_the_next_gateway_like_a_call(world: World) -> None:
    """A 503 on the first gateway moves the target's leg to the second, which answers."""
    call = await answered_call(world)
    world.telephony.script("gw1.example.com", Outcome.CONGESTION, dialled=DIALLED)
    world.telephony.script("gw2.example.com", Outcome.ANSWER_AND_HOLD, dialled=DIALLED)
    await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    await world.settle()
    transfer = (await world.app.calls.get(ACCOUNT, call.id)).transfers[0]
    assert [leg.result for leg in transfer.legs] == [AttemptResult.ROUTE_FAILURE, AttemptResult.PENDING]
    assert [leg.gateway_id for leg in transfer.legs] == list(transfer.gateway_plan[:2])
    assert transfer.status is TransferStatus.ANSWERED


async def test_a_target_that_cannot_be_put_through_fails_the_transfer_and_keeps_the_caller(world: World) -> None:
    """Answered, then gone before the bridge: the transfer fails, the target's end does not end the caller's call."""
    call = await answered_call(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER, dialled=DIALLED)  # answers and hangs up at once
    await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    await world.settle()
    after = await world.app.calls.get(ACCOUNT, call.id)
    assert after.transfers[0].status is TransferStatus.FAILED
    assert after.status is ExecutionStatus.IN_PROGRESS
    assert call.attempts[0].channel_id not in world.telephony.hangups


async def test_transfers_are_refused_when_they_cannot_be_made(world: World) -> None:
    """Not answered yet, one already under way, another account's call, a bad target: refused, nothing dialled."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    with pytest.raises(CallNotInProgress):
        await world.app.control.transfer(ACCOUNT, placed.id, transfer_request(TARGET))
    await world.settle()
    with pytest.raises(ExecutionNotFound):
        await world.app.control.transfer(OTHER_ACCOUNT, placed.id, transfer_request(TARGET))
    with pytest.raises(ValidationFailed) as bad:
        transfer_request("not a number", "sideways", ring_timeout_seconds=0)
    assert [p.path for p in bad.value.problems] == ["to", "mode", "ring_timeout_seconds"]
    world.telephony.script("gw1.example.com", Outcome.NO_ANSWER, dialled=DIALLED)
    dialled_before = len(world.telephony.placed)
    await world.app.control.transfer(ACCOUNT, placed.id, transfer_request(TARGET))
    with pytest.raises(TransferInProgress):
        await world.app.control.transfer(ACCOUNT, placed.id, transfer_request(TARGET))
    assert len(world.telephony.placed) == dialled_before + 1


async def test_a_full_trunk_refuses_a_bridged_transfer(world: World) -> None:
    """The target needs a channel of the trunk: with every channel taken, 429 and nothing recorded."""
    call = await answered_call(world, channels=1)
    with pytest.raises(ChannelsFull):
        await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    assert (await world.app.calls.get(ACCOUNT, call.id)).transfers == ()


async def test_the_agent_is_released_by_the_transfer_and_its_leaving_ends_nothing() -> None:
    """With media: the agent's media ends `transferred`; the agent hanging up afterwards leaves the call up."""
    world = make_world(media_plan=MediaPlan("wss://agents.example.com/{agent_id}", MediaProtocol.TWILIO))
    call = await answered_call(world)
    await world.app.deps.background.drain()
    caller = call.attempts[0].channel_id
    assert caller in world.telephony.media
    await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET))
    await world.settle()
    after = await world.app.calls.get(ACCOUNT, call.id)
    assert after.media is not None
    assert after.media.ending == "transferred"
    assert after.status is ExecutionStatus.IN_PROGRESS
    assert caller not in world.telephony.hangups


async def test_a_refer_transfer_is_done_when_the_carrier_ends_the_calls_leg(world: World) -> None:
    """A REFER to the target at the call's gateway; the carrier's hang-up completes the transfer and the call."""
    call = await answered_call(world)
    caller = call.attempts[0].channel_id
    started = await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET, "refer"))
    assert [(t.mode, t.status) for t in started.transfers] == [(TransferMode.REFER, TransferStatus.DIALING)]
    assert world.telephony.refers == {caller: [f"sip:{DIALLED}@gw1.example.com:5060"]}
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, call.id)
    assert (ended.status, ended.transfers[0].status) == (ExecutionStatus.COMPLETED, TransferStatus.COMPLETED)
    assert ended.transfers[0].legs == ()  # the carrier placed the new call, not the platform


async def test_a_refer_the_carrier_never_acts_on_fails_and_the_call_goes_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No hang-up from the carrier within the ring timeout and its grace: failed, said why; the caller stays."""
    monkeypatch.setattr(transfer_steps, "REFER_GRACE", -5)  # the watch's wait: 5 s of ring timeout, less 5
    call = await answered_call(world)
    world.telephony.refer_accepted = False
    await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET, "refer", ring_timeout_seconds=5))
    assert await world.app.deps.background.drain(5.0) == []
    after = await world.app.calls.get(ACCOUNT, call.id)
    assert after.transfers[0].status is TransferStatus.FAILED
    assert after.transfers[0].detail == (
        "The carrier did not take the call over within 0 seconds; the caller is still with the agent"
    )
    assert after.status is ExecutionStatus.IN_PROGRESS
    assert call.attempts[0].channel_id not in world.telephony.hangups


async def test_a_transfer_on_a_trunk_without_gateways_left_fails_at_once_in_its_own_mode(world: World) -> None:
    """The trunk was deactivated mid-call: nothing is dialled or sent, the transfer is `failed`, saying why."""
    call = await answered_call(world)
    assert call.trunk_id is not None
    await GuideApi(world.app).trunks.update(ACCOUNT, call.trunk_id, {"is_active": False})
    placed = len(world.telephony.placed)
    refused = await world.app.control.transfer(ACCOUNT, call.id, transfer_request(TARGET, "refer"))
    transfer = refused.transfers[0]
    assert (transfer.mode, transfer.status) == (TransferMode.REFER, TransferStatus.FAILED)
    assert transfer.detail == "The trunk has no gateway to dial through"
    assert (len(world.telephony.placed), world.telephony.refers) == (placed, {})
