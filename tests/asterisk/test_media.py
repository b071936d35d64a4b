"""Calls carry audio both ways between the caller and the agent's media WebSocket, through the fake Asterisk."""

from __future__ import annotations

import asyncio

import pytest

from byot_core import audio
from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.demo_agent import DemoAgent
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from byot_core.testing.fake_asterisk import FakeAsterisk, FakeChannel
from tests.asterisk.agents import AgentCall, TestAgent, tone_share
from tests.asterisk.conftest import ARI_PASSWORD, AsteriskWorld, asterisk_world, eventually
from tests.asterisk.test_calls import finished, mapped
from tests.support import ACCOUNT, AGENT, GUIDE_CALL

CALLER_TONE = audio.tone(440, 1.0)
AGENT_TONE = audio.tone(1000, 1.0)


def plan(agent: TestAgent, protocol: MediaProtocol = MediaProtocol.TWILIO) -> MediaPlan:
    return MediaPlan(agent.url + "/{agent_id}", protocol, answer_within=2.0)


async def inbound(world: AsteriskWorld) -> FakeChannel:
    await mapped(world)
    return world.nodes[0].inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")


async def test_an_inbound_call_carries_audio_both_ways_in_twilio_protocol(agent: TestAgent) -> None:
    """The caller's 440 Hz reaches the agent as Twilio media; the agent's 1 kHz reaches the caller; marks return."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await call.speak(AGENT_TONE)
        await call.send_twilio("mark", mark={"name": "greeting-done"})

    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent)) as world:
        world.nodes[0].default_voice = CALLER_TONE
        channel = await inbound(world)
        await eventually(lambda: agent.calls and agent.calls[0].events("mark"), within=5)
        call = agent.calls[0]
        assert [m["event"] for m in call.messages[:2]] == ["connected", "start"]
        start = call.events("start")[0]["start"]
        assert start["customParameters"]["agent_id"] == AGENT
        assert start["customParameters"]["direction"] == "inbound"
        assert start["customParameters"]["from_number"] == "+14155550100"
        assert start["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
        assert call.path == f"/agents/{AGENT}"
        assert channel.sip_answer == 200  # answered only once the agent's media was connected
        await eventually(lambda: len(call.heard) >= 8000)
        assert tone_share(bytes(call.heard), 440) > 0.95
        media = call.events("media")
        assert [int(m["media"]["chunk"]) for m in media[:5]] == [1, 2, 3, 4, 5]
        assert [int(m["sequenceNumber"]) for m in call.messages[1:6]] == [1, 2, 3, 4, 5]
        heard = world.nodes[0].heard(channel.id)
        assert tone_share(heard, 1000) > 0.95
        played = sum(1 for f in audio.frames(heard) if audio.share_of(f, 1000) > 0.9)
        assert played == 50  # one second of the agent's tone, not a frame lost or added
        # The mark came back only once the audio before it had played.
        assert call.events("mark")[0]["mark"]["name"] == "greeting-done"
        world.nodes[0].remote_hang_up(channel.id)
        await asyncio.wait_for(call.closed.wait(), 5)
        assert call.messages[-1]["event"] == "stop"
        assert call.messages[-1]["stop"]["callSid"] == start["callSid"]
        execution = await finished(world, start["callSid"])
        assert execution.status is ExecutionStatus.COMPLETED

        async def figures() -> object:
            return (await world.app.calls.get(ACCOUNT, start["callSid"])).media

        await eventually(figures)
        stats = (await world.app.calls.get(ACCOUNT, start["callSid"])).media
        assert stats is not None
        assert (stats.protocol, stats.ending) == (MediaProtocol.TWILIO, "caller-left")
        assert (stats.frames_to_agent, stats.frames_to_caller, stats.marks, stats.flushes) == (50, 50, 1, 0)
        assert (stats.seconds_to_agent, stats.seconds_to_caller) == (1.0, 1.0)
        # Sent in time (no gap the relay made), and the relay's own latency measured on every frame to the agent.
        assert stats.late_frames == 0
        assert stats.added_latency_ms is not None
        assert stats.max_added_latency_ms is not None
        assert 0 <= stats.added_latency_ms <= stats.max_added_latency_ms < 1000
        await eventually(lambda: not world.nodes[0].media.bridges)
        assert not [c for c in world.nodes[0].channels.values() if c.name.startswith("WebSocket/")]


async def test_an_unreachable_agent_refuses_the_caller(agent: TestAgent) -> None:
    """The agent's server refuses: the caller is refused before answer, the execution fails naming the agent."""
    agent.refuse_with = 503
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel = await inbound(world)
        await eventually(lambda: channel.id in world.nodes[0].ended)
        assert channel.sip_answer == 503  # cause 34: a clean refusal the carrier can retry elsewhere (41 gave 603)
        execution = (await world.app.calls.list_for_agent(ACCOUNT, AGENT))[0]
        execution = await finished(world, execution.id)
        assert execution.status is ExecutionStatus.FAILED
        assert execution.hangup_reason is not None
        assert f"127.0.0.1:{agent.port}/agents/{AGENT}" in execution.hangup_reason.text
        assert not world.nodes[0].media.bridges
        assert not world.nodes[0].channels


async def test_the_agent_hanging_up_ends_the_call(agent: TestAgent) -> None:
    """The agent closes its WebSocket: the caller is hung up and the execution completes."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await asyncio.sleep(0.2)
        await call.ws.close()

    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel = await inbound(world)
        await eventually(lambda: channel.id in world.nodes[0].ended)
        assert channel.hangup_cause == 16
        call_sid = agent.calls[0].events("start")[0]["start"]["callSid"]
        execution = await finished(world, call_sid)
        assert execution.status is ExecutionStatus.COMPLETED
        await eventually(lambda: not world.nodes[0].media.bridges and not world.nodes[0].channels)


async def test_clear_cuts_playback_and_answers_the_cleared_marks(agent: TestAgent) -> None:
    """``clear`` after 5 s of queued audio: the caller hears only what played before it; both marks come back."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await call.speak(audio.tone(1000, 5.0))
        await call.send_twilio("mark", mark={"name": "m1"})
        await call.speak(audio.tone(1000, 1.0))
        await call.send_twilio("mark", mark={"name": "m2"})
        await asyncio.sleep(0.5)
        await call.send_twilio("clear")

    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel = await inbound(world)
        await eventually(lambda: agent.calls and len(agent.calls[0].events("mark")) == 2, within=5)
        marks = [m["mark"]["name"] for m in agent.calls[0].events("mark")]
        assert marks == ["m1", "m2"]  # answered at the clear, in order, as Twilio does
        await asyncio.sleep(0.5)
        heard = world.nodes[0].heard(channel.id)
        played = sum(1 for f in audio.frames(heard) if audio.share_of(f, 1000) > 0.9)
        assert 15 <= played <= 45  # about half a second played, not six
        world.nodes[0].remote_hang_up(channel.id)


async def test_the_callers_keys_reach_the_agent(agent: TestAgent) -> None:
    """DTMF from the caller arrives as Twilio ``dtmf`` messages, one per key."""
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel = await inbound(world)
        await eventually(lambda: agent.calls and agent.calls[0].events("start"))
        await eventually(lambda: world.nodes[0].media.bridges)
        world.nodes[0].press(channel.id, "1#")
        await eventually(lambda: len(agent.calls[0].events("dtmf")) == 2)
        digits = [m["dtmf"] for m in agent.calls[0].events("dtmf")]
        assert digits == [{"track": "inbound_track", "digit": "1"}, {"track": "inbound_track", "digit": "#"}]
        world.nodes[0].remote_hang_up(channel.id)


async def test_an_agent_failing_mid_call_fails_the_execution(agent: TestAgent) -> None:
    """The agent closes with an error code: the caller is hung up and the execution fails, naming the agent."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await asyncio.sleep(0.2)
        await call.ws.close(code=1011, message=b"internal error")

    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent)) as world:
        channel = await inbound(world)
        await eventually(lambda: channel.id in world.nodes[0].ended)
        assert channel.hangup_cause == 41
        call_sid = agent.calls[0].events("start")[0]["start"]["callSid"]
        execution = await finished(world, call_sid)
        assert execution.status is ExecutionStatus.FAILED
        assert execution.hangup_reason is not None
        assert "closed the connection with code 1011" in execution.hangup_reason.text
        assert execution.answered_at is not None
        await eventually(lambda: not world.nodes[0].media.bridges and not world.nodes[0].channels)


async def test_an_outbound_call_reaches_the_agent_once_answered(agent: TestAgent) -> None:
    """The callee answers: the same agent code hears the callee and is heard, with direction ``outbound``."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await call.speak(AGENT_TONE)

    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent)) as world:
        world.nodes[0].default_voice = CALLER_TONE
        await mapped(world)
        placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
        await eventually(lambda: agent.calls and len(agent.calls[0].heard) >= 8000)
        start = agent.calls[0].events("start")[0]["start"]
        assert start["callSid"] == placed.id
        assert start["customParameters"]["direction"] == "outbound"
        assert start["customParameters"]["to_number"] == "+918800001234"
        assert tone_share(bytes(agent.calls[0].heard), 440) > 0.95
        callee = placed.attempts[0].channel_id
        await eventually(
            lambda: tone_share(world.nodes[0].heard(callee), 1000) > 0.95 and len(world.outbound.calls) == 1
        )
        world.nodes[0].remote_hang_up(callee)
        await asyncio.wait_for(agent.calls[0].closed.wait(), 5)
        assert (await finished(world, placed.id)).status is ExecutionStatus.COMPLETED


@pytest.mark.parametrize("protocol", [MediaProtocol.TWILIO, MediaProtocol.ASTERISK])
async def test_the_demo_agent_greets_and_echoes(protocol: MediaProtocol) -> None:
    """``byot demo-agent``: the caller hears the chime, then its own 440 Hz back; the agent saw who called."""
    demo = DemoAgent(protocol.value, port=0)
    await demo.start()
    try:
        media_plan = MediaPlan(demo.url + "/{agent_id}", protocol, answer_within=2.0)
        async with asterisk_world(media_plan=media_plan) as world:
            channel = await inbound(world)
            await eventually(lambda: demo.calls and demo.calls[0].marks == ["chime"])
            world.nodes[0].speak(channel.id, CALLER_TONE)
            await eventually(lambda: demo.calls[0].frames_heard >= 50)
            await asyncio.sleep(0.3)  # the last echoed frames play
            heard = [f for f in audio.frames(world.nodes[0].heard(channel.id)) if f != bytes([audio.SILENCE]) * 160]
            chime, echo = b"".join(heard[:45]), b"".join(heard[45:])
            assert audio.share_of(chime[:2400], 440) > 0.9
            assert audio.share_of(chime[-2400:], 880) > 0.9
            assert len(echo) >= 49 * 160
            assert audio.share_of(echo, 440) > 0.95
            assert demo.calls[0].who["agent_id"] == AGENT  # customParameters, or the URL's parameters
            world.nodes[0].remote_hang_up(channel.id)
    finally:
        await demo.stop()


async def test_a_bridge_left_by_a_process_that_died_is_swept_on_connect() -> None:
    """A caller alone in the library's bridge (its relay died with its process) is hung up and the bridge removed.

    A bridge with both parties (a live call, perhaps another instance's), or one just made, is left alone.
    """
    node = FakeAsterisk("byot", ARI_PASSWORD)
    await node.start()
    try:
        alone = node.book.new_channel("PJSIP/carrier-00000001", None, context="byot-inbound")
        pair = [node.book.new_channel(f"PJSIP/carrier-0000000{i}", None, context="byot-inbound") for i in (2, 3)]
        for channel in (alone, *pair):
            channel.in_stasis, channel.app, channel.state = True, "byot", "Up"
        old = node.media.create_bridge({"bridgeId": "byot-bridge-dead"})
        old.created = "2026-01-01T00:00:00.000+0000"
        node.media.add_channels(old.id, [alone.id])
        live = node.media.create_bridge({"bridgeId": "byot-bridge-live"})
        live.created = old.created
        node.media.add_channels(live.id, [c.id for c in pair])
        fresh = node.media.create_bridge({"bridgeId": "byot-bridge-fresh"})  # being set up right now
        client = AriClient(node.url, "byot", ARI_PASSWORD)
        telephony = AriTelephony([client])
        try:
            assert await telephony.media.sweep(client) == 1
        finally:
            await telephony.close()
        assert set(node.media.bridges) == {live.id, fresh.id}
        assert alone.id in node.ended
        assert alone.hangup_cause == 41
        assert all(c.id in node.channels for c in pair)
    finally:
        await node.stop()
