"""A demo agent for trying calls end to end: it greets the caller with a chime, then echoes what it hears.

It serves WebSocket connections at any path and speaks either protocol:

- ``twilio``: waits for ``start``, sends the chime as ``media`` messages with a ``mark`` after it, then sends back
  every ``media`` it receives; ``clear`` is never needed;
- ``asterisk``: waits for ``MEDIA_START``, sends the chime as binary frames with ``MARK_MEDIA`` after it, then sends
  back every binary frame it receives.

Each call is logged as it starts (who the call is) and ends (frames each way, marks, keys pressed).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Mapping

import attrs
from aiohttp import WSMsgType, web

from byot_core import audio

__all__ = ["CHIME", "DemoAgent", "DemoCall"]

log = logging.getLogger(__name__)

#: The greeting: three rising notes of 0.3 s each.
CHIME = audio.tone(440, 0.3) + audio.tone(660, 0.3) + audio.tone(880, 0.3)


@attrs.define
class DemoCall:
    """What the demo agent saw of one call."""

    path: str
    who: Mapping[str, str] = attrs.field(factory=dict)
    frames_heard: int = 0
    frames_sent: int = 0
    marks: list[str] = attrs.field(factory=list)
    digits: str = ""


class DemoAgent:
    """The demo agent's server; ``await start()``, then point ``BYOT_AGENT_MEDIA_URL`` at :attr:`url`."""

    def __init__(self, protocol: str = "twilio", host: str = "127.0.0.1", port: int = 8765) -> None:
        if protocol not in ("twilio", "asterisk"):
            raise ValueError("protocol must be twilio or asterisk")
        self.protocol = protocol
        self.host = host
        self.port = port
        self.calls: list[DemoCall] = []
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The base URL to put in a media URL template (append ``/{agent_id}`` or anything else)."""
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen."""
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        if not self.port:
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening and close every call."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("media",), heartbeat=20.0, max_msg_size=1 << 20)
        await ws.prepare(request)
        call = DemoCall(request.path, dict(request.query))
        self.calls.append(call)
        try:
            if self.protocol == "twilio":
                await self._twilio(ws, call)
            else:
                await self._asterisk(ws, call)
        finally:
            log.info(
                "demo agent: call on %s ended: heard %d frames, sent %d, marks %s, keys %r",
                call.path, call.frames_heard, call.frames_sent, call.marks, call.digits,
            )  # fmt: skip
        return ws

    async def _twilio(self, ws: web.WebSocketResponse, call: DemoCall) -> None:
        stream_sid = ""
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            try:
                event = json.loads(message.data)
            except ValueError:
                continue
            kind = event.get("event")
            if kind == "start":
                stream_sid = str(event.get("streamSid", ""))
                call.who = dict(event["start"].get("customParameters", {}))
                log.info("demo agent: call %s started: %s", event["start"].get("callSid"), call.who)
                await self._twilio_send(ws, stream_sid, CHIME, call)
                await ws.send_str(json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": "chime"}}))
            elif kind == "media":
                heard = base64.b64decode(event["media"]["payload"])
                call.frames_heard += len(heard) // audio.FRAME_BYTES
                await self._twilio_send(ws, stream_sid, heard, call)  # the echo
            elif kind == "mark":
                call.marks.append(str(event["mark"]["name"]))
            elif kind == "dtmf":
                call.digits += str(event["dtmf"]["digit"])
            elif kind == "stop":
                break

    @staticmethod
    async def _twilio_send(ws: web.WebSocketResponse, stream_sid: str, data: bytes, call: DemoCall) -> None:
        payload = base64.b64encode(data).decode("ascii")
        await ws.send_str(json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}}))
        call.frames_sent += len(data) // audio.FRAME_BYTES

    async def _asterisk(self, ws: web.WebSocketResponse, call: DemoCall) -> None:
        async for message in ws:
            if message.type is WSMsgType.BINARY:
                call.frames_heard += len(message.data) // audio.FRAME_BYTES
                call.frames_sent += len(message.data) // audio.FRAME_BYTES
                await ws.send_bytes(message.data)  # the echo
            elif message.type is WSMsgType.TEXT:
                command, _, rest = message.data.partition(" ")
                if command == "MEDIA_START":
                    log.info("demo agent: call on %s started: %s", call.path, call.who)
                    call.frames_sent += len(CHIME) // audio.FRAME_BYTES
                    await ws.send_bytes(CHIME)
                    await ws.send_str("MARK_MEDIA chime")
                elif command == "MEDIA_MARK_PROCESSED":
                    call.marks.append(rest.strip())
                elif command == "DTMF_END":
                    fields = dict(item.partition(":")[::2] for item in rest.split())
                    call.digits += fields.get("digit", "")


async def serve_forever(agent: DemoAgent) -> None:
    """Run the demo agent until cancelled."""
    await agent.start()
    try:
        await asyncio.Event().wait()
    finally:
        await agent.stop()
