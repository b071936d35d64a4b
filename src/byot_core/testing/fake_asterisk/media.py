"""The fake's media path: ``externalMedia`` over a WebSocket (server and client mode), mixing bridges, and audio.

As recorded from Asterisk 22 (``shared/asterisk/media``):

- ``POST /ari/channels/externalMedia`` (``transport=websocket``, ``encapsulation=none``, ``format=ulaw``) answers
  200 with a ``Down`` channel and ``channelvars`` ``MEDIA_WEBSOCKET_CONNECTION_ID``/``…_OPTIMAL_FRAME_SIZE``.
- Server mode: the program connects to ``/media/<connection id>`` (409 for a second connection, 404 for an unknown
  id); ``MEDIA_START`` comes first, then the channel goes ``Up`` and enters Stasis (``StasisStart``, no args). A
  channel never connected is destroyed after the dial timeout with cause 19 and no StasisStart.
- Client mode: ``external_host`` names a ``websocket_client`` object (400 "external_host must be a valid
  websocket_client connection id." otherwise); the POST answers before Asterisk connects to the object's ``uri``
  with the ``v()`` parameters (which stick to the object); a peer that refuses is tried 3 times, 300 ms apart, then
  the channel is destroyed with cause 3 and no StasisStart.
- Bridges and the audio between their parties: :mod:`.bridges`.
- Endings: the caller leaving tells the WebSocket nothing. ``DELETE`` of the media channel closes it with 1000 and
  ends the channel with cause 16. The program closing (or dropping) the WebSocket ends the channel with tech cause
  1001, ``HANGUP`` with 1000; the cause is 16 for a bridged channel and 0 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web

from byot_core.audio import FRAME_BYTES
from byot_core.testing.fake_asterisk.answers import AriError, now
from byot_core.testing.fake_asterisk.bridges import Bridges
from byot_core.testing.fake_asterisk.channels import ChannelBook
from byot_core.testing.fake_asterisk.hub import EventHub
from byot_core.testing.fake_asterisk.media_socket import MediaSocket
from byot_core.testing.fake_asterisk.model import FakeChannel
from byot_core.testing.fake_asterisk.sorcery import SorceryStore

__all__ = ["MediaBook"]

#: Originate's default dial timeout: a media channel never connected is destroyed after it (31.5 s recorded).
DIAL_TIMEOUT = 31.5
#: A refused client connection is tried this many times, this far apart.
CLIENT_ATTEMPTS = 3
CLIENT_RETRY = 0.3


class MediaBook(Bridges):
    """Media channels, their WebSockets, bridges, and the 20 ms clock that moves audio between bridged parties."""

    def __init__(self, store: SorceryStore, hub: EventHub, book: ChannelBook, *, dial_timeout: float) -> None:
        super().__init__(book)
        self._store = store
        self._hub = hub
        self.dial_timeout = dial_timeout
        self._by_connection: dict[str, str] = {}  # connection id → media channel id
        self._connected: set[str] = set()
        self._closers: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._seq = itertools.count(0x7FA068008760, 0x1000)
        self._client_params: dict[str, str] = {}
        self.client_requests: list[tuple[str, dict[str, str]]] = []
        #: Record when each frame is written to a media WebSocket (``MediaSocket.sent_at``), for benchmarks.
        self.record_frames = False
        book.leaving = self._leaving

    # -- externalMedia ----------------------------------------------------------------------------------------

    def external_media(self, given: Mapping[str, Any]) -> FakeChannel:
        """``POST /ari/channels/externalMedia``."""
        app = str(given.get("app", ""))
        if not app:
            raise AriError(400, "app cannot be empty")
        if given.get("transport", "websocket") != "websocket" or given.get("encapsulation", "none") != "none":
            raise AriError(400, "the fake plays transport=websocket, encapsulation=none only")
        if given.get("format") != "ulaw":
            raise AriError(400, "format cannot be empty")
        mode = given.get("connection_type", "client")
        cid = given.get("channelId")
        if cid in self._book.channels:
            raise AriError(409, "Channel with given unique ID already exists")
        fields = None
        if mode == "client":
            host = str(given.get("external_host", ""))
            fields = self._store.objects.get(("websocket_client", host))
            if fields is None:
                raise AriError(400, "external_host must be a valid websocket_client connection id.")
            connection = host
            name = f"WebSocket/{host}/0x{next(self._seq):x}"
        else:
            connection = str(uuid.uuid4())
            name = f"WebSocket/INCOMING/0x{next(self._seq):x}"
        channel = self._book.new_channel(name, str(cid) if cid else None, context="default")
        channel.app = app
        channel.subscribers.add(app)  # as for originate: the creating application gets the channel's end
        channel.variables.update(
            {"MEDIA_WEBSOCKET_CONNECTION_ID": connection, "MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE": str(FRAME_BYTES)}
        )
        self.sockets[channel.id] = MediaSocket(channel.id)
        if self.record_frames:
            self.sockets[channel.id].sent_at = []
        if mode == "client":
            assert fields is not None  # checked above
            params = _v_parameters(str(given.get("transport_data", "")))
            self._spawn(self._connect_out(channel, fields, params))
        else:
            self._by_connection[connection] = channel.id
            self._spawn(self._never_connected(channel))
        return channel

    def channel_json(self, channel: FakeChannel) -> dict[str, Any]:
        """A media channel as ``externalMedia`` answers it, with its channel variables."""
        keys = ("MEDIA_WEBSOCKET_CONNECTION_ID", "MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE")
        return {**channel.json(), "channelvars": {k: channel.variables[k] for k in keys}}

    async def _never_connected(self, channel: FakeChannel) -> None:
        await asyncio.sleep(self.dial_timeout)
        if channel.id in self._book.channels and channel.id not in self._connected:
            self._book.destroy(channel, 19, None)

    # -- the WebSocket, both modes ----------------------------------------------------------------------------

    async def accept(self, request: web.Request) -> web.StreamResponse:
        """``GET /media/<connection id>``: Asterisk as the WebSocket server."""
        channel_id = self._by_connection.get(request.match_info["connection"])
        channel = self._book.channels.get(channel_id or "")
        if channel is None:
            return web.Response(status=404, text="WebSocket instance not found")
        if channel.id in self._connected:
            return web.Response(status=409, text="Another websocket connection exists for this connection id")
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=426)
        ws = web.WebSocketResponse(protocols=("media",), heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        await self._serve(channel, ws)
        return ws

    async def _connect_out(self, channel: FakeChannel, fields: Mapping[str, str], params: dict[str, str]) -> None:
        # v() parameters stick to the shared object: a later call without v() still sends them (recorded trap).
        key = f"websocket_client/{channel.variables['MEDIA_WEBSOCKET_CONNECTION_ID']}"
        if params:
            self._client_params[key] = "&".join(f"{k}={v}" for k, v in params.items())
        uri = fields.get("uri", "")
        query = self._client_params.get(key)
        if query:
            uri += ("&" if "?" in uri else "?") + query
        self.client_requests.append((uri, dict(params)))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for attempt in range(CLIENT_ATTEMPTS):
                try:
                    async with session.ws_connect(uri, protocols=("media",), max_msg_size=0) as ws:
                        await self._serve(channel, ws)
                        return
                except (aiohttp.ClientError, OSError, TimeoutError):
                    if attempt + 1 < CLIENT_ATTEMPTS:
                        await asyncio.sleep(CLIENT_RETRY)
        if channel.id in self._book.channels:
            self._book.destroy(channel, 3, None)

    async def _serve(self, channel: FakeChannel, ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> None:
        socket = self.sockets[channel.id]
        self._connected.add(channel.id)
        closer = self._closers[channel.id] = asyncio.Event()
        connection = channel.variables["MEDIA_WEBSOCKET_CONNECTION_ID"]
        await ws.send_str(
            f"MEDIA_START connection_id:{connection} channel:{channel.name} channel_id:{channel.id} "
            f"format:ulaw optimal_frame_size:{FRAME_BYTES} ptime:20"
        )
        channel.state = "Up"
        channel.in_stasis = True
        self._book.channel_event(channel, "ChannelStateChange")
        self._hub.send(
            channel.app or "", {"type": "StasisStart", "timestamp": now(), "args": [], "channel": channel.json()}
        )
        writer = asyncio.ensure_future(self._write(socket, ws))
        # How the program ended it, as Asterisk reports it: (hangup request cause, tech cause = close code).
        ended = (16, 1001)
        try:
            async for message in _until(ws, closer):
                if message.type is WSMsgType.BINARY:
                    if len(message.data) > 65535:
                        await ws.close(code=WSCloseCode.MESSAGE_TOO_BIG)
                        self._end(channel, 38, 1001)
                        return
                    socket.binary(message.data)
                elif message.type is WSMsgType.TEXT:
                    socket.text(message.data)
                    if socket.hangup_requested:
                        ended = (16, 1000)
                        break
                elif message.type is WSMsgType.CLOSE:
                    break  # a close frame: the program hung up
                else:
                    ended = (38, 1001)  # dropped without a close frame
                    break
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            closed_by_us = closer.is_set()
            if not ws.closed:
                await ws.close(code=WSCloseCode.OK if closed_by_us or ended[1] == 1000 else WSCloseCode.GOING_AWAY)
            if not closed_by_us:
                self._end(channel, *ended)

    @staticmethod
    async def _write(socket: MediaSocket, ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> None:
        while True:
            item = await socket.outbox.get()
            if item is None:
                return
            if isinstance(item, bytes):
                await ws.send_bytes(item)
                if socket.sent_at is not None:
                    socket.sent_at.append(time.monotonic())
            else:
                await ws.send_str(item)

    def _end(self, channel: FakeChannel, request_cause: int, tech_cause: int) -> None:
        """The program hung the media channel up (closed, dropped, ``HANGUP``, oversized message).

        The hangup request carries ``request_cause`` (16 for a close or ``HANGUP``, 38 for a dropped connection);
        ``ChannelDestroyed`` carries 16 for a bridged channel and 0 otherwise, both with the close code.
        """
        bridged = any(channel.id in b.channels for b in self.bridges.values())
        self._book.destroy(channel, 16 if bridged else 0, tech_cause, request_cause=request_cause)

    def _leaving(self, channel: FakeChannel) -> None:
        """A channel is being destroyed: it leaves its bridge; a media channel's WebSocket is closed by Asterisk."""
        for bridge in self.bridges.values():
            if channel.id in bridge.channels:
                bridge.channels.remove(channel.id)
                self._book.channel_event(channel, "ChannelLeftBridge", bridge=bridge.json())
        self.sockets.pop(channel.id, None)
        closer = self._closers.pop(channel.id, None)
        if closer is not None:
            closer.set()

    # -- housekeeping -----------------------------------------------------------------------------------------

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop the clock and every media connection (the node stops)."""
        for closer in self._closers.values():
            closer.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.stop_clock()

    def forget(self) -> None:
        """A restart: no bridge, no media channel."""
        self.bridges.clear()
        self.sockets.clear()
        self._by_connection.clear()
        self._connected.clear()


def _v_parameters(transport_data: str) -> dict[str, str]:
    """The ``v(k=v,…)`` option of ``transport_data``, as given: Asterisk adds it to the URI without encoding."""
    start = transport_data.find("v(")
    if start < 0:
        return {}
    end = transport_data.find(")", start)
    inside = transport_data[start + 2 : end if end >= 0 else None]
    pairs = (item.partition("=") for item in inside.split(",") if item)
    return {k: v for k, _, v in pairs}


async def _until(ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse, closer: asyncio.Event) -> Any:
    """The WebSocket's messages, the one that ends it included, until then or until Asterisk ends the channel."""
    stop = asyncio.ensure_future(closer.wait())
    try:
        while True:
            receive = asyncio.ensure_future(ws.receive())
            done, _ = await asyncio.wait({receive, stop}, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                receive.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await receive
                return
            message = receive.result()
            yield message
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
    finally:
        stop.cancel()
