"""The ``twilio`` relay against a Twilio-protocol client the project did not write: Pipecat's.

The agent here is Pipecat's own code: ``parse_telephony_websocket`` reads the first messages and must recognise a
Twilio stream, with the call's ids and numbers; ``TwilioFrameSerializer`` turns every later message into Pipecat
frames and Pipecat's audio and interruptions back into messages. Nothing but the WebSocket plumbing is ours.
"""

from __future__ import annotations

import asyncio
import os
import types
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from byot_core import audio
from byot_core.domain.media import MediaPlan, MediaProtocol
from tests.asterisk.conftest import asterisk_world, eventually
from tests.asterisk.test_calls import mapped
from tests.support import AGENT

try:
    with warnings.catch_warnings():
        # Pipecat imports audioop, which warns of its removal in Python 3.13; that is Pipecat's to settle.
        warnings.simplefilter("ignore", DeprecationWarning)
        from pipecat.audio.dtmf.types import KeypadEntry
        from pipecat.frames.frames import InputAudioRawFrame, InputDTMFFrame, InterruptionFrame, OutputAudioRawFrame
        from pipecat.runner.utils import parse_telephony_websocket
        from pipecat.serializers.twilio import TwilioFrameSerializer
except ImportError:  # pragma: no cover - CI installs it (the conformance extra, part of dev)
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("pipecat-ai is not installed: pip install -e '.[conformance]'", allow_module_level=True)


class _Socket:
    """The part of a FastAPI WebSocket that Pipecat's parser reads, over an aiohttp one."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def iter_text(self) -> AsyncIterator[str]:
        async for message in self.ws:
            if message.type is WSMsgType.TEXT:
                yield message.data


class PipecatAgent:
    """An agent whose protocol side is Pipecat's: it says 1 kHz, keeps what it hears, and can interrupt itself."""

    def __init__(self) -> None:
        self.transport: str | None = None
        self.call_data: Any = None
        self.frames: list[Any] = []
        self.interrupt = asyncio.Event()
        self.port = 0

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        socket = _Socket(ws)
        self.transport, self.call_data = await parse_telephony_websocket(socket)  # type: ignore[arg-type]
        serializer = TwilioFrameSerializer(
            self.call_data.stream_id, self.call_data.call_id, params=TwilioFrameSerializer.InputParams(
                auto_hang_up=False
            ),
        )  # fmt: skip
        await serializer.setup(types.SimpleNamespace(audio_in_sample_rate=8000))  # type: ignore[arg-type]
        pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in audio.decode(audio.tone(1000, 1.0)))
        spoken = await serializer.serialize(OutputAudioRawFrame(audio=pcm, sample_rate=8000, num_channels=1))
        assert isinstance(spoken, str)
        await ws.send_str(spoken)
        for _ in range(3):  # then 3 s more, to be cut short
            await ws.send_str(spoken)

        async def interrupt_when_asked() -> None:
            await self.interrupt.wait()
            cleared = await serializer.serialize(InterruptionFrame())
            assert isinstance(cleared, str)
            await ws.send_str(cleared)

        interrupter = asyncio.create_task(interrupt_when_asked())
        async for text in socket.iter_text():
            frame = await serializer.deserialize(text)
            if frame is not None:
                self.frames.append(frame)
        interrupter.cancel()
        return ws

    def heard(self) -> bytes:
        """What the agent heard, as μ-law (Pipecat hands it over as 16-bit PCM)."""
        pcm = b"".join(f.audio for f in self.frames if isinstance(f, InputAudioRawFrame))
        return audio.encode([int.from_bytes(pcm[i : i + 2], "little", signed=True) for i in range(0, len(pcm), 2)])


@pytest.fixture
async def pipecat_agent() -> AsyncIterator[PipecatAgent]:
    agent = PipecatAgent()
    app = web.Application()
    app.router.add_get("/bot/{agent_id}", agent.serve)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    agent.port = int(runner.addresses[0][1])
    yield agent
    await runner.cleanup()


async def test_pipecats_twilio_serializer_talks_to_the_relay(pipecat_agent: PipecatAgent) -> None:
    """Pipecat recognises the stream as Twilio's, hears the caller, is heard, interrupts, and gets the keys."""
    plan = MediaPlan(f"ws://127.0.0.1:{pipecat_agent.port}/bot/{{agent_id}}", MediaProtocol.TWILIO, answer_within=2)
    async with asterisk_world(media_plan=plan) as world:
        world.nodes[0].default_voice = audio.tone(440, 1.0)
        await mapped(world)
        channel = world.nodes[0].inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
        await eventually(lambda: len(pipecat_agent.heard()) >= 8000)
        assert pipecat_agent.transport == "twilio"
        data = pipecat_agent.call_data
        assert (data.from_number, data.to_number) == ("+14155550100", "+919876543210")
        assert data.body["agent_id"] == AGENT
        assert data.stream_id.startswith("MZ")
        assert audio.share_of(pipecat_agent.heard()[:8000], 440) > 0.95

        await asyncio.sleep(0.5)  # playing: four seconds of 1 kHz were sent, in a burst

        def played() -> int:
            return sum(1 for f in audio.frames(world.nodes[0].heard(channel.id)) if audio.share_of(f, 1000) > 0.9)

        before = played()
        assert 50 <= before <= 150
        pipecat_agent.interrupt.set()
        world.nodes[0].press(channel.id, "5")
        await eventually(lambda: any(isinstance(f, InputDTMFFrame) for f in pipecat_agent.frames))
        keys = [f.button for f in pipecat_agent.frames if isinstance(f, InputDTMFFrame)]
        assert keys == [KeypadEntry.FIVE]
        await asyncio.sleep(1.0)
        assert played() - before <= 5  # the clear stopped it within a few frames, with seconds still queued
        world.nodes[0].remote_hang_up(channel.id)
