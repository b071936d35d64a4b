"""The media relay benchmark's two peers, each run in a process of its own (``benchmarks/media_relay.py`` starts them).

- ``asterisk``: the fake Asterisk, whose callers each say a 440 Hz tone for the whole call, and a control endpoint
  (``POST /calls`` starts calls, ``POST /hang-up`` ends them and says what was sent and heard);
- ``agents``: Twilio-protocol agents (and ones in Asterisk's own protocol) that echo every frame and note when each
  arrived (``GET /report``).

Usage (as the benchmark runs it): ``python benchmarks/media_relay_peers.py asterisk ARI_PORT CONTROL_PORT`` or
``… agents PORT``; each prints ``ready`` once it listens.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time

from aiohttp import WSMsgType, web

from byot_core import audio
from byot_core.testing.fake_asterisk import FakeAsterisk

ACCOUNT = "bench"
AGENT = "agt-bench"
PASSWORD = "bench-password"  # noqa: S105 - the fake Asterisk's, on loopback for the run
SOURCE = "10.1.1.1"


def caller(i: int) -> str:
    return f"+1555000{i:04d}"


def did(i: int) -> str:
    return f"+1666000{i:04d}"


# -- the fake Asterisk's process ---------------------------------------------------------------------------------


async def asterisk_role(port: int, control: int) -> None:
    """The fake Asterisk, and a control endpoint: ``POST /calls`` starts calls, ``GET /report`` says what flowed."""
    node = FakeAsterisk("bench", PASSWORD, port=port)
    node.media.record_frames = True
    await node.start()
    calls: dict[str, str] = {}  # caller number → channel id
    sent: dict[str, list[float]] = {}

    async def start_calls(request: web.Request) -> web.Response:
        body = await request.json()
        voice = audio.tone(440, float(body["seconds"]))
        for i in range(int(body["count"])):
            channel = node.inbound_call(did(i), SOURCE, caller=caller(i))
            channel.voice += voice
            calls[caller(i)] = channel.id
        return web.json_response({"started": len(calls)})

    async def hang_up(_: web.Request) -> web.Response:
        for number, channel_id in calls.items():
            socket = next((s for s in node.media.sockets.values() if _bridged(node, channel_id, s.channel_id)), None)
            sent[number] = list(socket.sent_at or []) if socket is not None else []
        heard = {}
        for number, channel_id in calls.items():
            frames = audio.frames(node.heard(channel_id))
            heard[number] = sum(1 for f in frames if f != bytes([audio.SILENCE]) * audio.FRAME_BYTES)
            node.remote_hang_up(channel_id)
        return web.json_response({"sent": sent, "heard": heard})

    app = web.Application()
    app.router.add_post("/calls", start_calls)
    app.router.add_post("/hang-up", hang_up)
    await serve(app, control)


def _bridged(node: FakeAsterisk, caller_channel: str, media_channel: str) -> bool:
    return any(caller_channel in b.channels and media_channel in b.channels for b in node.media.bridges.values())


# -- the agents' process -----------------------------------------------------------------------------------------


async def agents_role(port: int) -> None:
    """Twilio-protocol agents that echo every frame and note when each arrived; ``GET /report`` returns it."""
    received: dict[str, list[float]] = {}
    echoed: dict[str, int] = {}

    async def agent(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        number, stream = "", ""
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            event = json.loads(message.data)
            if event["event"] == "start":
                number = event["start"]["customParameters"]["from_number"]
                stream = event["streamSid"]
                received[number], echoed[number] = [], 0
            elif event["event"] == "media":
                received[number].append(time.monotonic())
                payload = event["media"]["payload"]
                await ws.send_str(json.dumps({"event": "media", "streamSid": stream, "media": {"payload": payload}}))
                echoed[number] += len(base64.b64decode(payload)) // audio.FRAME_BYTES
        return ws

    async def direct(request: web.Request) -> web.StreamResponse:
        """Asterisk's own protocol: Asterisk connects here itself, with who the call is as URL parameters."""
        ws = web.WebSocketResponse(protocols=("media",))
        await ws.prepare(request)
        number = request.query["from_number"]
        received[number], echoed[number] = [], 0
        async for message in ws:
            if message.type is WSMsgType.BINARY:
                received[number].append(time.monotonic())
                await ws.send_bytes(message.data)
                echoed[number] += len(message.data) // audio.FRAME_BYTES
        return ws

    async def report(_: web.Request) -> web.Response:
        return web.json_response({"received": received, "echoed": echoed})

    app = web.Application()
    app.router.add_get("/agents/{agent_id}", agent)
    app.router.add_get("/direct/{agent_id}", direct)
    app.router.add_get("/report", report)
    await serve(app, port)


async def serve(app: web.Application, port: int) -> None:
    """Serve ``app`` on loopback, say ``ready`` (the benchmark waits for it), and keep serving until killed."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    role, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
    asyncio.run(asterisk_role(*ports) if role == "asterisk" else agents_role(*ports))
