"""Instances sharing one storage: a stopped instance's calls are taken over by another, each call once."""

from __future__ import annotations

import logging

import pytest

import byot_core
from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.call_flow import END_NOT_SEEN
from byot_core.domain.execution import Execution
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import TransferStatus, transfer_request
from byot_core.guide_api import GuideApi
from byot_core.services.instances import LEASE_SECONDS
from tests.support import ACCOUNT, GUIDE_CALL, USERPASS_TRUNK, World


def heir_of(world: World) -> byot_core.Byot:
    """A second instance on the world's storage, telephony, agents and clock."""
    return byot_core.build(
        storage=world.storage,
        telephony=world.telephony,
        agents=world.agents,
        secrets=world.secrets,
        clock=world.clock,
    )


async def answered_calls(world: World, count: int) -> list[Execution]:
    """``count`` outbound calls placed by the world's instance (its lease held), answered and still up."""
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    await GuideApi(world.app).numbers.add(ACCOUNT, trunk_id, {"phone_number": "919876543210"})
    world.telephony.default_outcome = Outcome.ANSWER_AND_HOLD
    await world.app.instances.renew()
    placed = [await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL) for _ in range(count)]
    await world.settle()
    return placed


async def test_a_stopped_instances_calls_are_finished_or_followed_by_another(world: World) -> None:
    """A call still live is followed to its end by the heir; one that ended unseen is finished, saying so."""
    live, gone = await answered_calls(world, 2)
    assert {(await world.app.calls.get(ACCOUNT, e.id)).status for e in (live, gone)} == {ExecutionStatus.IN_PROGRESS}
    # The first instance stops: the callee of one call hangs up, and that event reaches nobody.
    world.telephony.remote_hang_up(gone.attempts[0].channel_id)
    assert await world.telephony.deliver(lambda _: _nothing()) == 1
    heir = heir_of(world)
    await heir.instances.renew()
    world.clock.advance(LEASE_SECONDS / 2)
    assert (await heir.instances.take_over()).instances == ()  # the lease has not run out yet
    world.clock.advance(LEASE_SECONDS)
    await heir.instances.renew()
    report = await heir.instances.take_over()
    assert report.instances == (world.app.deps.instance_id,)
    assert (report.adopted, report.finished, report.followed, report.unsettled) == (2, 1, 1, 0)
    ended = await heir.calls.get(ACCOUNT, gone.id)
    assert ended.status is ExecutionStatus.COMPLETED  # it was answered, and it has ended: when is not known
    assert ended.hangup_reason is not None
    assert ended.hangup_reason.cause_name == END_NOT_SEEN
    assert ended.ended_at == world.clock.now()
    followed = await heir.calls.get(ACCOUNT, live.id)
    assert (followed.status, followed.instance_id) == (ExecutionStatus.IN_PROGRESS, heir.deps.instance_id)
    # The live call's end now reaches the heir, which finishes it as usual.
    world.telephony.remote_hang_up(live.attempts[0].channel_id)
    await world.telephony.deliver(heir.events.handle)
    finished = await heir.calls.get(ACCOUNT, live.id)
    assert finished.status is ExecutionStatus.COMPLETED
    assert finished.hangup_reason is not None
    assert finished.hangup_reason.text == "Call ended normally"
    # Each stopped instance is taken over once.
    world.clock.advance(LEASE_SECONDS * 2)
    await heir.instances.renew()
    assert await heir.instances.take_over() == type(report)()


async def test_a_released_lease_is_taken_over_at_the_next_look(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """A clean stop gives the lease up: the next look by another instance takes its calls, without waiting.

    With no calls left behind, that is said quietly (a restart is no crash); calls left behind are a warning.
    """
    await world.app.instances.renew()
    await world.app.instances.release()
    heir = heir_of(world)
    with caplog.at_level(logging.INFO, logger="byot_core.services.instances"):
        assert (await heir.instances.take_over()).instances == (world.app.deps.instance_id,)
    (record,) = [r for r in caplog.records if "lease ended" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert record.getMessage().endswith("it left no calls to take over")


async def test_calls_are_retried_while_telephony_cannot_say(world: World) -> None:
    """Telephony down during the takeover: the adopted call stays with the heir and is settled once it is back."""
    (placed,) = await answered_calls(world, 1)
    world.telephony.remote_hang_up(placed.attempts[0].channel_id)
    await world.telephony.deliver(lambda _: _nothing())
    heir = heir_of(world)
    world.clock.advance(LEASE_SECONDS + 1)
    world.telephony.down = True
    report = await heir.instances.take_over()
    assert (report.adopted, report.unsettled) == (1, 1)
    assert (await heir.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.IN_PROGRESS
    world.telephony.down = False
    assert (await heir.instances.take_over()).finished == 1
    assert (await heir.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.COMPLETED


async def _nothing() -> None:
    """What a stopped instance does with an event: nothing."""


async def joined_transfer(world: World) -> tuple[Execution, str, str]:
    """A call placed by the world's instance (its lease held), transferred and joined with its target."""
    (call,) = await answered_calls(world, 1)
    await world.app.control.transfer(ACCOUNT, call.id, transfer_request("+14155550100"))
    await world.settle()
    joined = await world.app.calls.get(ACCOUNT, call.id)
    assert joined.transfers[0].status is TransferStatus.ANSWERED
    return joined, joined.attempts[0].channel_id, joined.transfers[0].legs[0].channel_id


async def test_a_transferred_call_whose_target_hung_up_unseen_is_ended_by_the_heir(world: World) -> None:
    """The instance stops; the target hangs up meanwhile: the heir completes the transfer and hangs the caller up."""
    call, caller, target = await joined_transfer(world)
    world.telephony.remote_hang_up(target)
    assert await world.telephony.deliver(lambda _: _nothing()) == 1  # the stopped instance sees nothing
    heir = heir_of(world)
    world.clock.advance(LEASE_SECONDS + 1)
    report = await heir.instances.take_over()
    assert report.adopted == 1
    await world.telephony.deliver(heir.events.handle)  # the caller's end, once the heir hung it up
    ended = await heir.calls.get(ACCOUNT, call.id)
    assert (ended.transfers[0].status, ended.transfers[0].detail) == (TransferStatus.COMPLETED, "The target hung up")
    assert world.telephony.hangups[caller] == 16  # not left alone in the bridge
    assert ended.status is ExecutionStatus.COMPLETED


async def test_a_transferred_call_is_followed_on_both_sides_by_the_heir(world: World) -> None:
    """Both sides live at the takeover: the target's later hang-up reaches the heir, which ends the caller's side."""
    call, caller, target = await joined_transfer(world)
    heir = heir_of(world)
    world.clock.advance(LEASE_SECONDS + 1)
    report = await heir.instances.take_over()
    assert (report.adopted, report.followed) == (1, 1)
    assert caller not in world.telephony.hangups
    world.telephony.remote_hang_up(target)
    await world.telephony.deliver(heir.events.handle)
    await world.telephony.deliver(heir.events.handle)
    ended = await heir.calls.get(ACCOUNT, call.id)
    assert (ended.status, ended.transfers[0].status) == (ExecutionStatus.COMPLETED, TransferStatus.COMPLETED)
    assert world.telephony.hangups[caller] == 16


async def test_a_transferred_call_whose_caller_left_unseen_hangs_its_target_up(world: World) -> None:
    """The caller hung up while nobody followed: the heir finishes the call and hangs up the target's leg."""
    call, caller, target = await joined_transfer(world)
    world.telephony.remote_hang_up(caller)
    await world.telephony.deliver(lambda _: _nothing())
    heir = heir_of(world)
    world.clock.advance(LEASE_SECONDS + 1)
    assert (await heir.instances.take_over()).finished == 1
    ended = await heir.calls.get(ACCOUNT, call.id)
    assert ended.hangup_reason is not None
    assert (ended.status, ended.hangup_reason.cause_name) == (ExecutionStatus.COMPLETED, END_NOT_SEEN)
    assert ended.transfers[0].status is TransferStatus.COMPLETED
    assert target in world.telephony.hangups
