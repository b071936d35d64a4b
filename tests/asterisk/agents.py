"""Agents for media tests: WebSocket servers speaking Twilio's protocol or Asterisk's, recording what they get."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Coroutine
from typing import Any

import attrs
from aiohttp import WSMsgType, web

from byot_core import audio


@attrs.define(eq=False)
class AgentCall:
    """One connection as the agent saw it."""

    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    messages: list[dict[str, Any]] = attrs.field(factory=list)
    texts: list[str] = attrs.field(factory=list)
    heard: bytearray = attrs.field(factory=bytearray)
    closed: asyncio.Event = attrs.field(factory=asyncio.Event)
    transport: asyncio.Transport | None = None

    def drop(self) -> None:
        """Drop the TCP connection without a close frame, as a crashed agent server does."""
        assert self.transport is not None
        self.transport.abort()

    def events(self, name: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("event") == name]

    @property
    def stream_sid(self) -> str:
        return str(self.events("start")[0]["streamSid"])

    async def send_twilio(self, event: str, **body: Any) -> None:
        await self.ws.send_str(json.dumps({"event": event, "streamSid": self.stream_sid, **body}))

    async def speak(self, data: bytes, *, chunk: int = 800) -> None:
        """Send μ-law audio as Twilio ``media`` messages (faster than real time, as TTS output is)."""
        for start in range(0, len(data), chunk):
            payload = base64.b64encode(data[start : start + chunk]).decode()
            await self.send_twilio("media", media={"payload": payload})


Behaviour = Callable[[AgentCall], Coroutine[Any, Any, None]]


class TestAgent:
    """An agent server on loopback; ``behaviour`` runs once per connection, beside the recording of messages."""

    __test__ = False

    def __init__(self, protocol: str = "twilio", behaviour: Behaviour | None = None) -> None:
        self.protocol = protocol
        self.behaviour = behaviour
        self.calls: list[AgentCall] = []
        self.refuse_with: int | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/agents"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/agents/{rest:.*}", self._accept)
        app.router.add_get("/agents", self._accept)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_with is not None:
            return web.Response(status=self.refuse_with)
        ws = web.WebSocketResponse(protocols=("media",), max_msg_size=0)
        await ws.prepare(request)
        call = AgentCall(ws, request.path, dict(request.query), transport=request.transport)
        self.calls.append(call)
        behaviour = asyncio.create_task(self.behaviour(call)) if self.behaviour else None
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    call.texts.append(message.data)
                    if self.protocol == "twilio":
                        decoded = json.loads(message.data)
                        call.messages.append(decoded)
                        if decoded.get("event") == "media":
                            call.heard += base64.b64decode(decoded["media"]["payload"])
                elif message.type is WSMsgType.BINARY:
                    call.heard += message.data
        finally:
            call.closed.set()
            if behaviour is not None and not behaviour.done():
                behaviour.cancel()
        return ws


def tone_share(data: bytes, frequency: float) -> float:
    """The share of the audio's RMS a tone at ``frequency`` explains (silence left out)."""
    frames = [f for f in audio.frames(data) if any(b != audio.SILENCE for b in f)]
    return audio.share_of(b"".join(frames), frequency)
