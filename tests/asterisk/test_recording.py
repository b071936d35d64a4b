"""Recorded calls through the fake Asterisk: the bridge's mix kept as WAV, following the caller through a transfer."""

from __future__ import annotations

from byot_core import audio
from byot_core.domain.recording import RecordingStatus
from byot_core.domain.transfer import TransferStatus, transfer_request
from tests.asterisk.agents import AgentCall, TestAgent
from tests.asterisk.conftest import asterisk_world, eventually
from tests.asterisk.test_calls import finished, in_progress, mapped
from tests.asterisk.test_media import plan
from tests.support import ACCOUNT, AGENT

AGENT_TONE = audio.tone(1000, 1.0)
CALLER_TONE = audio.tone(440, 1.0)
TARGET_TONE = audio.tone(700, 1.0)


def frames_of(data: bytes, frequency: float) -> int:
    """How many 20 ms frames are a clean tone at ``frequency``."""
    return sum(1 for frame in audio.frames(data) if audio.share_of(frame, frequency) > 0.9)


async def test_a_recorded_call_keeps_the_agent_the_caller_and_then_the_transfer_target(agent: TestAgent) -> None:
    """The agent speaks, the caller speaks, the call is transferred and the target speaks: all three in one WAV."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await call.speak(AGENT_TONE)

    agent.behaviour = behaviour
    async with asterisk_world(media_plan=plan(agent), record_calls=True) as world:
        await mapped(world)
        node = world.nodes[0]
        channel = node.inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
        await eventually(lambda: frames_of(node.heard(channel.id), 1000) >= 50, within=5)
        execution_id = (await world.app.calls.list_for_agent(ACCOUNT, AGENT))[0].id
        await in_progress(world, execution_id)
        during = await world.app.calls.get(ACCOUNT, execution_id)
        assert during.recording is not None
        assert during.recording.status is RecordingStatus.RECORDING
        node.speak(channel.id, CALLER_TONE)
        await eventually(lambda: len(agent.calls[0].heard) >= 8000, within=5)
        node.default_voice = TARGET_TONE  # what the transfer's target will say
        await world.app.control.transfer(ACCOUNT, execution_id, transfer_request("+14155550199"))

        async def joined() -> bool:
            return (await world.app.calls.get(ACCOUNT, execution_id)).transfers[0].status is TransferStatus.ANSWERED

        await eventually(joined)
        await eventually(lambda: frames_of(node.heard(channel.id), 700) >= 50, within=5)
        target = (await world.app.calls.get(ACCOUNT, execution_id)).transfers[0].legs[0].channel_id
        node.remote_hang_up(target)
        await finished(world, execution_id)

        async def stored() -> bool:
            recording = (await world.app.calls.get(ACCOUNT, execution_id)).recording
            return recording is not None and recording.status is RecordingStatus.STORED

        await eventually(stored)
        ended = await world.app.calls.get(ACCOUNT, execution_id)
        assert ended.recording is not None
        data = await world.app.recordings.get(ACCOUNT, execution_id)
        rate, seconds, heard = audio.read_wav(data)
        assert rate == 8000
        assert ended.recording.seconds == int(seconds)  # Asterisk reports whole seconds
        assert ended.recording.started_at is not None
        assert ended.ended_at is not None
        call_seconds = (ended.ended_at - ended.recording.started_at).total_seconds()
        assert abs(seconds - call_seconds) < 0.5  # the whole call from its answer, and nothing after its end
        assert seconds >= 3.0
        assert frames_of(heard, 1000) >= 45  # the agent
        assert frames_of(heard, 440) >= 45  # the caller
        assert frames_of(heard, 700) >= 45  # the target, after the transfer: the recording followed the caller
        assert not node.media.recorder.stored  # deleted from Asterisk once kept
        assert not node.media.recorder.live
