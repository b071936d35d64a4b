"""Audio an agent sends in pieces that are not whole 20 ms frames reaches the caller whole, with nothing inserted."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator

from byot_core import audio
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.testing.fake_asterisk import FakeChannel
from tests.asterisk.agents import AgentCall, TestAgent
from tests.asterisk.conftest import AsteriskWorld, asterisk_world, eventually
from tests.asterisk.test_calls import mapped
from tests.support import ACCOUNT

#: What Pipecat's Twilio serializer sends at its default 16 kHz: 758 μ-law bytes (94.75 ms), 80 to 120 ms apart.
PIECE = 758
LATENESS = (0.0, 0.025, -0.015, 0.02, 0.005, -0.01)
SPEECH = audio.tone(1000, 3.0)
#: Silence inside speech: a run of at least 1 ms of μ-law silence (a 1 kHz tone never holds more than one such byte).
GAP = re.compile(rb"\xff{8,}")


def spoken(heard: bytes) -> bytes:
    """What the caller heard from the first sound to the last."""
    sound = [i for i, byte in enumerate(heard) if byte != audio.SILENCE]
    return heard[sound[0] : sound[-1] + 1] if sound else b""


@contextlib.asynccontextmanager
async def speech_heard(agent: TestAgent) -> AsyncIterator[tuple[AsteriskWorld, FakeChannel]]:
    """An inbound call to the agent, once the caller has heard all but the last frame of :data:`SPEECH`."""
    plan = MediaPlan(agent.url + "/{agent_id}", MediaProtocol.TWILIO, answer_within=2.0)
    async with asterisk_world(media_plan=plan) as world:
        await mapped(world)
        node = world.nodes[0]
        channel = node.inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
        await eventually(lambda: len(spoken(node.heard(channel.id))) >= len(SPEECH) - audio.FRAME_BYTES, within=8.0)
        yield world, channel


async def test_pieces_of_odd_length_sent_in_real_time_reach_the_caller_without_gaps(agent: TestAgent) -> None:
    """3 s of tone in Pipecat's 16 kHz pieces, a few ahead then at its pace: heard byte for byte, nothing inserted."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index, offset in enumerate(range(0, len(SPEECH), PIECE)):
            # Three pieces at once (a pipeline runs a little ahead), then one per piece's length, late or early.
            due = start + max(0, index - 3) * PIECE / audio.SAMPLE_RATE + LATENESS[index % len(LATENESS)]
            await asyncio.sleep(max(0.0, due - loop.time()))
            await call.speak(SPEECH[offset : offset + PIECE], chunk=PIECE)

    agent.behaviour = behaviour
    async with speech_heard(agent) as (world, channel):
        node = world.nodes[0]
        await asyncio.sleep(0.3)  # the last piece, padded once the agent has gone quiet
        heard = spoken(node.heard(channel.id))
        assert GAP.findall(heard) == []
        assert heard == spoken(SPEECH)  # every byte, in order, nothing added
        assert audio.share_of(heard, 1000) > 0.95
        execution_id = agent.calls[0].events("start")[0]["start"]["callSid"]
        node.remote_hang_up(channel.id)
        assert await late_frames(world, execution_id) == 0  # the agent's own jitter is not the relay's lateness


async def late_frames(world: AsteriskWorld, execution_id: str) -> int | None:
    """The execution's late frames, once its media figures are recorded."""

    async def recorded() -> bool:
        return (await world.app.calls.get(ACCOUNT, execution_id)).media is not None

    await eventually(recorded)
    media = (await world.app.calls.get(ACCOUNT, execution_id)).media
    return media.late_frames if media is not None else None


async def test_audio_held_while_the_process_stalls_is_counted_late(agent: TestAgent) -> None:
    """Three seconds sent at once; the process stalls 0.8 s (beyond the 0.5 s Asterisk holds): frames come late.

    Without the stall (the test above), none is late.
    """
    stalled = asyncio.Event()

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await call.speak(SPEECH, chunk=PIECE)
        await asyncio.sleep(0.2)
        time.sleep(0.8)  # noqa: ASYNC251 - on purpose: the whole event loop stops, the relay's sender with it
        stalled.set()

    agent.behaviour = behaviour
    async with speech_heard(agent) as (world, channel):
        assert stalled.is_set()
        execution_id = agent.calls[0].events("start")[0]["start"]["callSid"]
        world.nodes[0].remote_hang_up(channel.id)
        late = await late_frames(world, execution_id)
        assert late is not None
        assert 1 <= late <= 150
