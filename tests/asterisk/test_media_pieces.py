"""Audio an agent sends in pieces that are not whole 20 ms frames reaches the caller whole, with nothing inserted."""

from __future__ import annotations

import asyncio
import re

from byot_core import audio
from byot_core.domain.media import MediaPlan, MediaProtocol
from tests.asterisk.agents import AgentCall, TestAgent
from tests.asterisk.conftest import asterisk_world, eventually
from tests.asterisk.test_calls import mapped

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
    plan = MediaPlan(agent.url + "/{agent_id}", MediaProtocol.TWILIO, answer_within=2.0)
    async with asterisk_world(media_plan=plan) as world:
        await mapped(world)
        node = world.nodes[0]
        channel = node.inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
        await eventually(lambda: len(spoken(node.heard(channel.id))) >= len(SPEECH) - audio.FRAME_BYTES, within=8.0)
        await asyncio.sleep(0.3)  # the last piece, padded once the agent has gone quiet
        heard = spoken(node.heard(channel.id))
        assert GAP.findall(heard) == []
        assert heard == spoken(SPEECH)  # every byte, in order, nothing added
        assert audio.share_of(heard, 1000) > 0.95
