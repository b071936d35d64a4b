"""The fake's event websockets and application subscriptions.

As Asterisk does: an application's events go only to the websocket that registered it last, and ``endpoint:PJSIP``
answers 422 "Event source does not exist" until a PJSIP endpoint has existed since the node started (observed
2026-11-29), as does a channel that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSCloseCode, web

from byot_core.testing.fake_asterisk.answers import AriError

__all__ = ["EventHub"]


class EventHub:
    """Websockets per application, in the order they registered, and each application's event sources."""

    def __init__(self) -> None:
        self._sockets: dict[str, list[web.WebSocketResponse]] = {}
        self._subscriptions: dict[str, set[str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.events_sent = 0

    async def accept(self, request: web.Request) -> web.StreamResponse:
        """Serve ``GET /ari/events?app=…`` until the client leaves or the node stops."""
        app = request.query.get("app", "")
        if not app:
            raise AriError(400, "Missing parameter app")
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self._sockets.setdefault(app, []).append(ws)
        try:
            async for _ in ws:
                pass  # ARI sends events; what the client sends is ignored
        finally:
            with contextlib.suppress(ValueError):
                self._sockets.get(app, []).remove(ws)
        return ws

    def sockets(self, app: str) -> list[web.WebSocketResponse]:
        """The application's open websockets, in the order they registered."""
        return list(self._sockets.get(app, ()))

    def connected_apps(self) -> set[str]:
        """The applications with an open event websocket."""
        return {app for app, sockets in self._sockets.items() if sockets}

    async def close_all(self) -> None:
        """Close every websocket (the node stopped, or the network dropped them)."""
        for sockets in self._sockets.values():
            for ws in list(sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY)

    def forget(self) -> None:
        """A restart: no websocket, no subscription."""
        self._sockets.clear()
        self._subscriptions.clear()

    def send(self, app: str, event: dict[str, Any]) -> None:
        """Send an event to the application's last websocket, if it has one."""
        message = json.dumps({**event, "asterisk_id": "02:fc:00:00:00:01", "application": app})
        live = [ws for ws in self._sockets.get(app, ()) if not ws.closed]
        if live:
            self.events_sent += 1
            task = asyncio.ensure_future(live[-1].send_str(message))
            self._tasks.add(task)
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        # An application that left while an event was on its way simply misses it, as with Asterisk.
        if not task.cancelled():
            task.exception()

    def subscribe(self, app: str, source: str, *, exists: bool) -> None:
        """Subscribe the application to ``source`` (``channel:…``, ``endpoint:…``), or refuse it as Asterisk does."""
        kind, _, _ = source.partition(":")
        if kind not in ("channel", "endpoint"):
            raise AriError(400, "Invalid event source URI scheme")
        if not exists:
            raise AriError(422, "Event source does not exist")
        self._subscriptions.setdefault(app, set()).add(source)

    def unsubscribe(self, app: str, source: str) -> None:
        """Drop one of the application's event sources (ARI's ``DELETE /applications/{app}/subscription``)."""
        self._subscriptions.get(app, set()).discard(source)

    def subscriptions(self, app: str) -> frozenset[str]:
        """The event sources the application is subscribed to."""
        return frozenset(self._subscriptions.get(app, ()))

    def subscribed_to_endpoint(self, endpoint_id: str) -> list[str]:
        """The applications that get the endpoint's events (``endpoint:PJSIP`` or ``endpoint:PJSIP/<id>``)."""
        wanted = {"endpoint:PJSIP", f"endpoint:PJSIP/{endpoint_id}"}
        return [app for app, sources in self._subscriptions.items() if wanted & sources]

    async def settle(self) -> None:
        """Wait until every event handed to a websocket has been written."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
