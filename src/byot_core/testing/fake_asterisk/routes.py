"""The fake's ARI routes over HTTP, behind Basic auth, with faults that tests inject."""

from __future__ import annotations

import asyncio
import base64
import hmac
import random
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from byot_core.testing.fake_asterisk.answers import AriError
from byot_core.testing.fake_asterisk.channels import ChannelBook
from byot_core.testing.fake_asterisk.hub import EventHub
from byot_core.testing.fake_asterisk.media import MediaBook
from byot_core.testing.fake_asterisk.model import FakeChannel
from byot_core.testing.fake_asterisk.sorcery import SorceryStore

__all__ = ["AriRoutes", "endpoint_json"]

Handler = Callable[[web.Request, Any, list[str]], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def endpoint_json(oid: str, book: ChannelBook) -> dict[str, Any]:
    """An endpoint as ``GET /ari/endpoints`` and endpoint events describe it."""
    busy = [c.id for c in book.channels.values() if c.endpoint == oid]
    return {"technology": "PJSIP", "resource": oid, "state": "online" if busy else "unknown", "channel_ids": busy}


class AriRoutes:
    """Answers ``/ari/…`` requests from the node's store, hub and channels; records them; plays injected faults."""

    def __init__(
        self,
        store: SorceryStore,
        hub: EventHub,
        book: ChannelBook,
        media: MediaBook,
        *,
        username: str,
        password: str,
        latency: float,
        jitter: float = 0.0,
    ) -> None:
        self.store = store
        self.hub = hub
        self.book = book
        self.media = media
        self.username = username
        self.password = password
        self.latency = latency
        self.jitter = jitter
        # The most recent requests, for tests to read; bounded so that a long-running fake does not grow.
        self.requests: deque[tuple[str, str]] = deque(maxlen=100_000)
        self.faults: list[tuple[str, str, int, float]] = []
        self._table: list[tuple[str, list[str], Handler]] = [
            ("PUT", ["asterisk", "config", "dynamic", "*", "*", "*"], self._put_object),
            ("GET", ["asterisk", "config", "dynamic", "*", "*", "*"], self._get_object),
            ("DELETE", ["asterisk", "config", "dynamic", "*", "*", "*"], self._delete_object),
            ("GET", ["endpoints", "*"], self._list_endpoints),
            ("POST", ["channels"], self._originate),
            ("POST", ["channels", "externalMedia"], self._external_media),
            ("POST", ["channels", "*", "dtmf"], self._dtmf),
            ("POST", ["channels", "*", "redirect"], self._redirect),
            ("POST", ["bridges"], self._create_bridge),
            ("GET", ["bridges"], self._list_bridges),
            ("GET", ["bridges", "*"], self._get_bridge),
            ("POST", ["bridges", "*", "addChannel"], self._add_channel),
            ("DELETE", ["bridges", "*"], self._delete_bridge),
            ("POST", ["bridges", "*", "record"], self._record_bridge),
            ("POST", ["recordings", "live", "*", "stop"], self._stop_recording),
            ("GET", ["recordings", "stored", "*", "file"], self._recording_file),
            ("DELETE", ["recordings", "stored", "*"], self._delete_recording),
            ("GET", ["channels"], self._list_channels),
            ("GET", ["channels", "*"], self._get_channel),
            ("POST", ["channels", "*", "answer"], self._answer),
            ("DELETE", ["channels", "*"], self._hang_up),
            ("GET", ["channels", "*", "variable"], self._variable),
            ("POST", ["applications", "*", "subscription"], self._subscribe),
        ]

    def _authorised(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected.encode())

    async def _fault(self, request: web.Request, path: str) -> web.Response | None:
        for index, (method, needle, status, stall) in enumerate(self.faults):
            if needle in path and method in ("", request.method):
                del self.faults[index]
                if stall:
                    await asyncio.sleep(stall)
                return _json({"message": "Internal Server Error"}, status) if status else None
        return None

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Answer one request below ``/ari`` (the event websocket included)."""
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, path))
        if self.latency or self.jitter:
            await asyncio.sleep(self.latency + random.random() * self.jitter)  # noqa: S311 - timing, not a secret
        if not self._authorised(request):
            return _json({"message": "Authentication required"}, 401)
        faulted = await self._fault(request, path)
        if faulted is not None:
            return faulted
        parts = [p for p in path.split("/") if p]
        try:
            if parts == ["events"]:
                return await self.hub.accept(request)
            body: Any = None
            if request.can_read_body:
                try:
                    body = await request.json()
                except ValueError:
                    return _json({"message": "Failed to parse body"}, 400)
            for method, pattern, handler in self._table:
                matches = len(pattern) == len(parts) and all(p in ("*", q) for p, q in zip(pattern, parts, strict=True))
                if method == request.method and matches:
                    return await handler(request, body, [q for p, q in zip(pattern, parts, strict=True) if p == "*"])
        except AriError as error:
            return _json({"message": error.message}, error.status)
        return _json({"message": "Resource not found"}, 404)

    async def _get_object(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        return _json(self.store.get(*args))

    async def _put_object(self, _: web.Request, body: Any, args: list[str]) -> web.Response:
        config_class, type_, oid = args
        return _json(self.store.put(config_class, type_, oid, body))

    async def _delete_object(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        self.store.delete(*args)
        return web.Response(status=204)

    async def _list_endpoints(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        if args[0] != "PJSIP":
            raise AriError(404, "No Endpoints found - invalid tech")
        return _json([endpoint_json(oid, self.book) for oid in self.store.endpoint_ids()])

    async def _subscribe(self, request: web.Request, _: Any, args: list[str]) -> web.Response:
        app = args[0]
        source = request.query.get("eventSource", "")
        kind, _sep, name = source.partition(":")
        if kind == "channel":
            exists = name in self.book.channels
        elif name == "PJSIP":
            exists = self.store.endpoint_source
        else:
            exists = ("endpoint", name.removeprefix("PJSIP/")) in self.store.objects
        self.hub.subscribe(app, source, exists=exists)
        if kind == "channel":
            self.book.channels[name].subscribers.add(app)
        return _json({"name": app, "channel_ids": [], "bridge_ids": [], "endpoint_ids": [], "device_names": []})

    async def _originate(self, request: web.Request, body: Any, _: list[str]) -> web.Response:
        channel = self.book.originate({**request.query, **(body if isinstance(body, dict) else {})})
        return _json(channel.json())

    async def _external_media(self, request: web.Request, body: Any, _: list[str]) -> web.Response:
        channel = self.media.external_media({**request.query, **(body if isinstance(body, dict) else {})})
        return _json(self.media.channel_json(channel))

    def _controlled(self, channel_id: str) -> FakeChannel:
        """A channel the application may act on: 404 unknown, 409 outside Stasis, 412 while Down or Ringing.

        As Asterisk's source checks it (``find_control``, ``channel_state_invalid``).
        """
        channel = self.book.get(channel_id)
        if not channel.in_stasis:
            raise AriError(409, "Channel not in Stasis application")
        if channel.state in ("Down", "Ringing"):
            raise AriError(412, "Channel in invalid state")
        return channel

    async def _dtmf(self, request: web.Request, _: Any, args: list[str]) -> web.Response:
        # As Asterisk's source answers it (res/ari/resource_channels.c): 409 outside Stasis, 412 while the channel
        # is Down or Ringing, 400 without digits; then the digits are played (``w``, ``W``: pauses).
        channel = self._controlled(args[0])
        digits = request.query.get("dtmf", "")
        if not digits:
            raise AriError(400, "DTMF is required")
        socket = self.media.sockets.get(channel.id)
        if socket is not None:  # a media channel: its WebSocket is the far end
            for digit in digits:
                socket.outbox.put_nowait(f"DTMF_END digit:{digit} channel_id:{channel.id}")
        else:
            channel.keys_heard += digits
            if self.book.echo_keys:  # an IVR that presses back what it heard
                self.media.press(channel.id, digits.replace("w", "").replace("W", ""))
        return web.Response(status=204)

    async def _redirect(self, request: web.Request, _: Any, args: list[str]) -> web.Response:
        # As Asterisk's source answers it (res/ari/resource_channels.c): 409 outside Stasis, 412 while Down or
        # Ringing, 400 without an endpoint, 422 for one that is not the channel's technology/resource; then PJSIP
        # sends the REFER (a 302 to a call still ringing in: channels/chan_pjsip.c).
        channel = self._controlled(args[0])
        endpoint = request.query.get("endpoint", "")
        if not endpoint:
            raise AriError(400, "Required parameter 'endpoint' not provided.")
        tech, _, resource = endpoint.partition("/")
        if not tech or not _:
            raise AriError(422, f"Endpoint parameter '{endpoint}' does not contain tech/resource")
        if not resource:
            raise AriError(422, f"No resource provided in endpoint parameter '{endpoint}'")
        if tech.lower() != channel.name.partition("/")[0].lower():
            raise AriError(422, f"Endpoint technology '{tech}' does not match channel technology 'PJSIP'")
        self.book.refer(channel, resource)
        return web.Response(status=204)

    async def _create_bridge(self, request: web.Request, body: Any, _: list[str]) -> web.Response:
        return _json(self.media.create_bridge({**request.query, **(body if isinstance(body, dict) else {})}).json())

    async def _list_bridges(self, _: web.Request, __: Any, ___: list[str]) -> web.Response:
        return _json([bridge.json() for bridge in self.media.bridges.values()])

    async def _get_bridge(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        return _json(self.media.bridge(args[0]).json())

    async def _add_channel(self, request: web.Request, _: Any, args: list[str]) -> web.Response:
        channels = [c for c in request.query.get("channel", "").split(",") if c]
        if not channels:
            raise AriError(400, "Missing parameter channel")
        self.media.add_channels(args[0], channels)
        return web.Response(status=204)

    async def _delete_bridge(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        self.media.destroy_bridge(args[0])
        return web.Response(status=204)

    async def _record_bridge(self, request: web.Request, _: Any, args: list[str]) -> web.Response:
        return _json(self.media.record(args[0], dict(request.query)), 201)

    async def _stop_recording(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        self.media.recorder.stop(args[0])
        return web.Response(status=204)

    async def _recording_file(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        return web.Response(body=self.media.recorder.file(args[0]), content_type="audio/wav")

    async def _delete_recording(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        self.media.recorder.delete(args[0])
        return web.Response(status=204)

    async def _list_channels(self, _: web.Request, __: Any, ___: list[str]) -> web.Response:
        return _json([channel.json() for channel in self.book.channels.values()])

    async def _get_channel(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        return _json(self.book.get(args[0]).json())

    async def _answer(self, _: web.Request, __: Any, args: list[str]) -> web.Response:
        self.book.answer(args[0])
        return web.Response(status=204)

    async def _hang_up(self, request: web.Request, _: Any, args: list[str]) -> web.Response:
        self.book.hang_up(args[0], request.query.get("reason_code"), request.query.get("reason"))
        return web.Response(status=204)

    async def _variable(self, request: web.Request, _: Any, args: list[str]) -> web.Response:
        return _json({"value": self.book.variable(args[0], request.query.get("variable", ""))})
