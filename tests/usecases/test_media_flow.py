"""The media step of a call's life on the fake telephony: connected before answer, refused, and agents leaving."""

from __future__ import annotations

from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, IP_TRUNK, World, make_world

PLAN = MediaPlan("wss://agents.example.com/calls/{agent_id}?to={to_number}", MediaProtocol.TWILIO)


async def routed_call(world: World) -> str:
    trunk = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    number = await GuideApi(world.app).numbers.add(ACCOUNT, trunk.trunk.id, {"phone_number": "+919876543210"})
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
    channel = world.telephony.incoming_call("+919876543210", source="15.207.90.192")
    await world.settle()
    await world.app.deps.background.drain()
    await world.settle()
    return channel


async def test_a_routed_call_is_connected_to_its_agents_media_before_it_is_answered() -> None:
    """The media connection carries who the call is and the filled template; then the caller is answered."""
    world = make_world(media_plan=PLAN)
    channel = await routed_call(world)
    call, target = world.telephony.media[channel]
    assert target.url == f"wss://agents.example.com/calls/{AGENT}?to=%2B919876543210"
    assert (call.agent_id, call.direction, call.to_number) == (AGENT, "inbound", "+919876543210")
    assert world.telephony.answered == [channel]
    execution = await world.app.calls.get(ACCOUNT, call.execution_id)
    assert execution.status is ExecutionStatus.IN_PROGRESS


async def test_an_agent_that_cannot_be_reached_refuses_the_call() -> None:
    """Media refused: never answered, refused with cause 34 (503, retry elsewhere), the execution failed."""
    world = make_world(media_plan=PLAN)
    world.telephony.media_refused = "agent media at wss://agents.example.com/calls/x unreachable (timeout)"
    channel = await routed_call(world)
    assert world.telephony.answered == []
    assert world.telephony.hangups[channel] == 34
    execution = (await world.app.calls.list_for_agent(ACCOUNT, AGENT))[0]
    assert execution.status is ExecutionStatus.FAILED
    assert execution.hangup_reason is not None
    assert execution.hangup_reason.text.startswith("Agent media connection failed: agent media at wss://")
    assert not world.handler.offers


async def test_the_agent_hanging_up_completes_the_call_and_failing_fails_it() -> None:
    """Agent gone normally: caller hung up (16), completed. Agent broken mid-call: hung up (41), failed."""
    world = make_world(media_plan=PLAN)
    channel = await routed_call(world)
    world.telephony.agent_hangs_up(channel)
    await world.settle()
    assert world.telephony.hangups[channel] == 16
    ended = (await world.app.calls.list_for_agent(ACCOUNT, AGENT))[0]
    assert ended.status is ExecutionStatus.COMPLETED
    assert ended.media is not None
    assert (ended.media.protocol, ended.media.ending) == (MediaProtocol.TWILIO, "agent-closed")

    world.telephony.default_outcome = Outcome.ANSWER_AND_HOLD
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    await world.app.deps.background.drain()
    callee = placed.attempts[0].channel_id
    assert world.telephony.media[callee][0].direction == "outbound"
    assert [c.channel_id for c in world.outbound.calls] == [callee]  # handed over once its media was connected
    world.telephony.agent_fails(callee, "agent media at wss://agents.example.com/calls/x closed with code 1011")
    await world.settle()
    assert world.telephony.hangups[callee] == 41
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert execution.status is ExecutionStatus.FAILED
    assert execution.hangup_reason is not None
    assert "closed with code 1011" in execution.hangup_reason.text
