"""In Asterisk's own protocol, Asterisk holds the agent's media WebSocket itself: connection, refusal, endings."""

from __future__ import annotations

import asyncio

import pytest

from byot_core.domain.media import MediaProtocol
from byot_core.domain.status import ExecutionStatus
from tests.asterisk.agents import AgentCall, TestAgent, tone_share
from tests.asterisk.conftest import asterisk_world, eventually
from tests.asterisk.test_calls import finished, in_progress
from tests.asterisk.test_media import AGENT_TONE, CALLER_TONE, inbound, plan
from tests.support import ACCOUNT, AGENT


async def test_in_asterisk_protocol_asterisk_connects_to_the_agent_itself(agent: TestAgent) -> None:
    """``asterisk`` protocol: Asterisk connects to the agent with who the call is as URL parameters; audio flows."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.texts)
        await call.ws.send_bytes(AGENT_TONE)
        await call.ws.send_str("MARK_MEDIA done")

    agent.protocol = "asterisk"
    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent, MediaProtocol.ASTERISK)) as world:
        world.nodes[0].default_voice = CALLER_TONE
        channel = await inbound(world)
        await eventually(lambda: agent.calls and "MEDIA_MARK_PROCESSED done" in agent.calls[0].texts, within=5)
        call = agent.calls[0]
        assert call.texts[0].startswith("MEDIA_START ")
        # What Bolna's SIP-trunk handlers read as their call id: channel_id up to its first '_', the execution's id.
        media_start = dict(field.partition(":")[::2] for field in call.texts[0].split()[1:])
        assert media_start["channel_id"].split("_")[0] == call.query["execution_id"]
        assert call.path == f"/agents/{AGENT}"
        assert call.query["agent_id"] == AGENT
        assert call.query["from_number"] == "+14155550100"
        assert call.query["direction"] == "inbound"
        assert channel.sip_answer == 200
        assert tone_share(world.nodes[0].heard(channel.id), 1000) > 0.95
        await eventually(lambda: len(call.heard) >= 8000)
        assert tone_share(bytes(call.heard), 440) > 0.95
        objects = [k for k in world.nodes[0].objects if k[0] == "websocket_client"]
        assert len(objects) == 1
        assert world.nodes[0].objects[objects[0]]["uri"] == f"{agent.url}/{AGENT}"
        await call.ws.close()  # the agent hangs up
        await eventually(lambda: channel.id in world.nodes[0].ended)
        execution = await finished(world, call.query["execution_id"])
        assert execution.status is ExecutionStatus.COMPLETED
        await eventually(lambda: not world.nodes[0].media.bridges and not world.nodes[0].channels)


async def test_in_asterisk_protocol_an_unreachable_agent_refuses_the_caller(agent: TestAgent) -> None:
    """Asterisk cannot connect (its channel ends with cause 3): the caller is refused, the execution fails."""
    await agent.stop()
    async with asterisk_world(media_plan=plan(agent, MediaProtocol.ASTERISK)) as world:
        channel = await inbound(world)
        await eventually(lambda: channel.id in world.nodes[0].ended, within=5)
        assert channel.sip_answer == 503
        execution = (await world.app.calls.list_for_agent(ACCOUNT, AGENT))[0]
        execution = await finished(world, execution.id)
        assert execution.status is ExecutionStatus.FAILED
        assert execution.hangup_reason is not None
        assert "refused or unreachable" in execution.hangup_reason.text
        assert not world.nodes[0].media.bridges
        assert not world.nodes[0].channels


async def test_in_asterisk_protocol_the_caller_leaving_closes_the_agents_side(agent: TestAgent) -> None:
    """The caller hangs up: Asterisk says nothing to the media side, so the library deletes it (close 1000)."""
    agent.protocol = "asterisk"
    async with asterisk_world(media_plan=plan(agent, MediaProtocol.ASTERISK)) as world:
        channel = await inbound(world)
        await eventually(lambda: agent.calls and world.nodes[0].media.bridges)
        # The caller is answered once its agent's media is connected: hang up after that, not during it.
        await in_progress(world, agent.calls[0].query["execution_id"])
        world.nodes[0].remote_hang_up(channel.id)
        await asyncio.wait_for(agent.calls[0].closed.wait(), 5)
        assert agent.calls[0].ws.close_code == 1000
        await eventually(lambda: not world.nodes[0].media.bridges and not world.nodes[0].channels)
        execution = await finished(world, agent.calls[0].query["execution_id"])
        assert execution.status is ExecutionStatus.COMPLETED


async def test_in_asterisk_protocol_a_restarted_node_gets_the_agents_object_again(agent: TestAgent) -> None:
    """The node forgot the pushed ``websocket_client`` object: the next call pushes it again and connects."""
    agent.protocol = "asterisk"
    async with asterisk_world(media_plan=plan(agent, MediaProtocol.ASTERISK)) as world:
        first = await inbound(world)
        await eventually(lambda: len(agent.calls) == 1 and world.nodes[0].media.bridges)
        world.nodes[0].remote_hang_up(first.id)
        for key in [k for k in world.nodes[0].objects if k[0] == "websocket_client"]:
            del world.nodes[0].objects[key]  # as a restart would, and the event stream has not noticed
        second = world.nodes[0].inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
        await eventually(lambda: len(agent.calls) == 2 and second.sip_answer == 200)
        assert [k for k in world.nodes[0].objects if k[0] == "websocket_client"]
        world.nodes[0].remote_hang_up(second.id)


@pytest.mark.parametrize(("ending", "status", "cause"), [("hangup", "completed", 16), ("drop", "failed", 41)])
async def test_in_asterisk_protocol_the_agent_hanging_up_or_dropping(
    agent: TestAgent, ending: str, status: str, cause: int
) -> None:
    """``HANGUP`` from the agent ends the call normally; a connection dropped without a close frame fails it."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.texts)
        await asyncio.sleep(0.2)
        if ending == "hangup":
            await call.ws.send_str("HANGUP")
        else:
            call.drop()

    agent.protocol = "asterisk"
    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent, MediaProtocol.ASTERISK)) as world:
        channel = await inbound(world)
        await eventually(lambda: channel.id in world.nodes[0].ended)
        assert channel.hangup_cause == cause
        execution = await finished(world, agent.calls[0].query["execution_id"])
        assert execution.status.value == status
        if ending == "drop":
            assert execution.hangup_reason is not None
            assert "dropped the connection" in execution.hangup_reason.text
        await eventually(lambda: not world.nodes[0].media.bridges and not world.nodes[0].channels)
