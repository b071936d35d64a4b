"""Transfers through the fake Asterisk: the caller bridged with the target and the agent released, or kept."""

from __future__ import annotations

import pytest

from byot_core.domain.execution import Execution
from byot_core.domain.media import MediaProtocol, MediaStats
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import TransferStatus, transfer_request
from byot_core.testing.fake_asterisk import GatewayPlay
from byot_core.testing.fake_asterisk.model import FakeChannel
from tests.asterisk.agents import AgentCall, TestAgent
from tests.asterisk.conftest import AsteriskWorld, asterisk_world, eventually
from tests.asterisk.test_calls import finished, in_progress, mapped
from tests.asterisk.test_media import plan
from tests.support import ACCOUNT, AGENT

TARGET = "+14155550199"
CALLER_VOICE = bytes([0x11]) * 160
TARGET_VOICE = bytes([0x22]) * 160
AGENT_VOICE = bytes([0x33]) * 160


async def talking(world: AsteriskWorld, agent: TestAgent) -> tuple[FakeChannel, str]:
    """An inbound call answered and talking to its agent: the caller's channel and the execution id."""
    await mapped(world)
    node = world.nodes[0]
    channel = node.inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
    await eventually(lambda: agent.calls and node.media.bridges)
    execution_id = next(e.id for e in await world.app.calls.list_for_agent(ACCOUNT, AGENT))
    await in_progress(world, execution_id)
    return channel, execution_id


async def media_of(world: AsteriskWorld, execution_id: str) -> MediaStats:
    """The call's media summary, once there is one (the agent's side ends after the call's)."""

    async def summary() -> MediaStats | None:
        return (await world.app.calls.get(ACCOUNT, execution_id)).media

    await eventually(summary)
    media = await summary()
    assert media is not None
    return media


async def transfer_status(world: AsteriskWorld, execution_id: str) -> Execution:
    return await world.app.calls.get(ACCOUNT, execution_id)


@pytest.mark.parametrize("protocol", [MediaProtocol.TWILIO, MediaProtocol.ASTERISK])
async def test_a_bridged_transfer_releases_the_agent_and_the_caller_talks_to_the_target(
    agent: TestAgent, protocol: MediaProtocol
) -> None:
    """Target answers: joined in the caller's bridge, the agent's media ends, audio flows until the target hangs up."""
    agent.protocol = protocol.value
    async with asterisk_world(media_plan=plan(agent, protocol)) as world:
        channel, execution_id = await talking(world, agent)
        node = world.nodes[0]
        node.book.answer_after = 0.3
        await world.app.control.transfer(ACCOUNT, execution_id, transfer_request(TARGET))

        async def answered() -> bool:
            return (await transfer_status(world, execution_id)).transfers[0].status is TransferStatus.ANSWERED

        await eventually(answered)
        execution = await transfer_status(world, execution_id)
        assert execution.transfers[0].legs[0].reached_ringing
        target = node.channels[execution.transfers[0].legs[0].channel_id]
        assert target.exten == TARGET  # dialled through the trunk's gateway, with '+' as the trunk says
        await eventually(lambda: agent.calls[0].closed.is_set())
        if protocol is MediaProtocol.TWILIO:
            assert agent.calls[0].events("stop"), "the agent is told the call stopped, as at a hang-up"
        await eventually(lambda: [set(b.channels) for b in node.media.bridges.values()] == [{channel.id, target.id}])
        channel.voice += CALLER_VOICE * 5
        target.voice += TARGET_VOICE * 5
        await eventually(lambda: CALLER_VOICE in target.heard and TARGET_VOICE in channel.heard)
        assert (await transfer_status(world, execution_id)).status is ExecutionStatus.IN_PROGRESS
        node.remote_hang_up(target.id)
        ended = await finished(world, execution_id)
        assert (ended.status, ended.transfers[0].status) == (ExecutionStatus.COMPLETED, TransferStatus.COMPLETED)
        # The target's leg is a SIP dialog of its own, with its Call-ID and codec.
        leg = ended.transfers[0].legs[0]
        assert (leg.sip_call_id, leg.codec) == (target.call_id, "ulaw")
        assert leg.sip_call_id != ended.attempts[0].sip_call_id
        assert ended.media is not None
        assert ended.media.ending == "transferred"
        await eventually(lambda: not node.media.bridges and channel.id not in node.channels)
        assert len(agent.calls) == 1


async def test_a_busy_target_leaves_the_caller_talking_to_its_agent(agent: TestAgent) -> None:
    """486 from the target: recorded busy; the agent's media never stopped: each still hears the other."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: len(call.events("media")) >= before_speaking[0] + 5, within=10)
        await call.speak(AGENT_VOICE * 10)

    before_speaking = [10**9]
    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel, execution_id = await talking(world, agent)
        node = world.nodes[0]
        node.script("203.0.113.1:5060", GatewayPlay.BUSY)
        await world.app.control.transfer(ACCOUNT, execution_id, transfer_request(TARGET))

        async def busy() -> bool:
            return (await transfer_status(world, execution_id)).transfers[0].status is TransferStatus.BUSY

        await eventually(busy)
        transfer = (await transfer_status(world, execution_id)).transfers[0]
        assert (transfer.sip_code, transfer.q850_cause, transfer.detail) == (486, 17, "The target was busy")
        await eventually(lambda: agent.calls[0].events("start"))
        before_speaking[0] = before = len(agent.calls[0].events("media"))
        channel.voice += CALLER_VOICE * 10
        await eventually(lambda: len(agent.calls[0].events("media")) >= before + 5)  # the agent hears the caller
        await eventually(lambda: AGENT_VOICE in channel.heard)  # and the caller hears the agent
        assert not agent.calls[0].closed.is_set()
        assert (await transfer_status(world, execution_id)).status is ExecutionStatus.IN_PROGRESS
        node.remote_hang_up(channel.id)
        await finished(world, execution_id)
        assert (await media_of(world, execution_id)).ending == "caller-left"


async def test_the_caller_hanging_up_while_the_target_rings_hangs_the_target_up(agent: TestAgent) -> None:
    """The caller leaves first: the transfer fails (said why), and the target's ringing leg is ended."""
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel, execution_id = await talking(world, agent)
        node = world.nodes[0]
        node.book.answer_after = 30.0
        await world.app.control.transfer(ACCOUNT, execution_id, transfer_request(TARGET))

        async def ringing() -> bool:
            return (await transfer_status(world, execution_id)).transfers[0].status is TransferStatus.RINGING

        await eventually(ringing)
        leg = (await transfer_status(world, execution_id)).transfers[0].legs[0].channel_id
        node.remote_hang_up(channel.id)
        ended = await finished(world, execution_id)
        assert ended.transfers[0].status is TransferStatus.FAILED
        assert ended.transfers[0].detail == "The caller hung up before the target answered"
        await eventually(lambda: leg not in node.channels)


async def test_a_refer_sends_the_target_in_refer_to_and_the_carriers_bye_completes_it(agent: TestAgent) -> None:
    """ARI redirect on the caller's channel: the carrier gets a REFER for the target at its gateway, then hangs up."""
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel, execution_id = await talking(world, agent)
        node = world.nodes[0]
        await world.app.control.transfer(ACCOUNT, execution_id, transfer_request(TARGET, "refer"))
        assert channel.refers == [f"sip:{TARGET}@203.0.113.1:5060"]
        ended = await finished(world, execution_id)
        assert (ended.status, ended.transfers[0].status) == (ExecutionStatus.COMPLETED, TransferStatus.COMPLETED)

        assert (await media_of(world, execution_id)).ending == "transferred"
        await eventually(lambda: not node.media.bridges and not node.channels)


async def test_a_refer_the_carrier_declines_leaves_the_call_with_its_agent(agent: TestAgent) -> None:
    """A carrier that answers the REFER with a failure keeps the call; the agent goes on hearing the caller."""
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel, execution_id = await talking(world, agent)
        world.nodes[0].book.refer_answer = 603
        await world.app.control.transfer(ACCOUNT, execution_id, transfer_request(TARGET, "refer"))
        assert channel.refers == [f"sip:{TARGET}@203.0.113.1:5060"]
        await eventually(lambda: agent.calls[0].events("start"))
        before = len(agent.calls[0].events("media"))
        channel.voice += CALLER_VOICE * 10
        await eventually(lambda: len(agent.calls[0].events("media")) >= before + 5)
        execution = await transfer_status(world, execution_id)
        assert (execution.status, execution.transfers[0].status) == (
            ExecutionStatus.IN_PROGRESS,
            TransferStatus.DIALING,
        )  # Asterisk keeps the NOTIFY's outcome to itself: failed only once the carrier's time is up
