"""A small client for Asterisk's REST Interface (ARI) on aiohttp.

Why not a client from PyPI: those tried put the credentials into the websocket URL (so passwords with ``@&#`` break
it) and none reconnects cleanly when the websocket drops. This one sends Basic auth in a header on every request and
on the websocket, sends JSON bodies (a ``+`` in a query string arrives as a space), puts a timeout on every request,
and keeps the event stream alive with heartbeats and reconnection with backoff. It configures no logging.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import attrs

from byot_core.backoff import Backoff
from byot_core.domain.errors import TelephonyUnavailable

__all__ = [
    "AriClient",
    "AriConnected",
    "AriDisconnected",
    "AriRequestFailed",
    "AriUnreachable",
    "StreamItem",
    "unless_missing",
]

log = logging.getLogger(__name__)


class AriUnreachable(TelephonyUnavailable):
    """Asterisk did not answer (refused connection, timeout, broken response).

    ``maybe_sent`` is false only when the connection itself failed: the request then never reached Asterisk.
    """

    code = "telephony_unreachable"

    def __init__(self, message: str, *, maybe_sent: bool = True) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class AriRequestFailed(TelephonyUnavailable):
    """Asterisk answered with an error status. ``status`` is the HTTP status, ``detail`` Asterisk's own message."""

    code = "telephony_refused"

    def __init__(self, status: int, method: str, path: str, detail: str) -> None:
        super().__init__(f"Asterisk answered {status} to {method} {path}: {detail}")
        self.status = status
        self.detail = detail


@attrs.frozen
class AriConnected:
    """The event websocket is (again) connected to ``node``."""

    node: str


@attrs.frozen
class AriDisconnected:
    """The event websocket to ``node`` was lost; the client is reconnecting."""

    node: str


#: What the event stream yields: a decoded ARI event, or a connection change.
StreamItem = dict[str, Any] | AriConnected | AriDisconnected


def _message(body: str) -> str:
    try:
        decoded = json.loads(body)
    except ValueError:
        return body[:200]
    message = decoded.get("message") if isinstance(decoded, dict) else None
    if isinstance(message, str):
        return message
    return body[:200]


class AriClient:
    """One Asterisk node's ARI, for one Stasis application.

    ``url`` is the HTTP base (``http://host:8088``; ``/ari`` is appended). The password lives only in the
    ``Authorization`` header: never in a URL, a log line, an error or this object's ``repr``. Every request has a
    ``timeout`` in seconds. A lost event websocket is reconnected after ``first_retry`` seconds, doubling up to
    ``max_retry`` (with jitter): a restarted Asterisk is found again within ``max_retry`` of coming back, at the cost
    of one connection attempt that often while it is down. Use it as an async context manager, or call
    :meth:`close`.
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        app: str = "byot",
        *,
        timeout: float = 5.0,
        heartbeat: float = 10.0,
        first_retry: float = 0.5,
        max_retry: float = 2.0,
        connections: int = 32,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"ARI URL must be http(s)://host:port, not {url!r}")
        if parts.username or parts.password:
            raise ValueError("put ARI credentials in the user and password settings, not in the URL")
        self.base = url.rstrip("/") + "/ari"
        self.node = parts.netloc
        self.app = app
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.first_retry = first_retry
        self.max_retry = max_retry
        self._username = username
        if ":" in username:
            raise ValueError("an ARI user name cannot contain ':' (Basic auth separates it from the password)")
        # Encoded by hand: the same on every aiohttp version, and never part of a URL.
        self._auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        #: Told of every request once it is answered or failed: node, method, outcome and seconds (see
        #: :meth:`byot_core.ports.metrics.Metrics.telephony_request`).
        self.observer: Callable[[str, str, str, float], None] | None = None

    def __repr__(self) -> str:
        return f"AriClient(node={self.node!r}, username={self._username!r}, app={self.app!r})"

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": self._auth},
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=self.timeout),
                connector=aiohttp.TCPConnector(limit=self._connections),
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (and with it any open websocket)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one request (``path`` below ``/ari``) and return the decoded JSON answer (``None`` when empty).

        Raises :class:`AriUnreachable` when Asterisk does not answer within the timeout, and
        :class:`AriRequestFailed` for an error status.
        """
        status, data = await self._send(method, path, params, body)
        if status >= 400:
            raise AriRequestFailed(status, method, path, _message(data.decode(errors="replace")))
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError as error:
            raise AriUnreachable(f"Asterisk at {self.node} answered {method} {path} with broken JSON") from error

    async def request_bytes(self, method: str, path: str) -> bytes:
        """Send one request and return the answer's body as it is (a recording's file); raises as :meth:`request`."""
        status, data = await self._send(method, path, None, None)
        if status >= 400:
            raise AriRequestFailed(status, method, path, _message(data.decode(errors="replace")))
        return data

    async def _send(self, method: str, path: str, params: Mapping[str, str] | None, body: Any) -> tuple[int, bytes]:
        started = time.monotonic()
        try:
            async with self._http().request(
                method, self.base + path, params=params, json=body if body is not None else None
            ) as response:
                answer = response.status, await response.read()
            self._observe(method, f"{answer[0] // 100}xx", started)
            return answer
        except (aiohttp.ClientError, TimeoutError) as error:
            self._observe(method, "unreachable", started)
            reason = type(error).__name__
            raise AriUnreachable(
                f"Asterisk at {self.node} did not answer {method} {path} ({reason})",
                maybe_sent=not isinstance(error, aiohttp.ClientConnectorError),
            ) from error

    def _observe(self, method: str, outcome: str, started: float) -> None:
        if self.observer is not None:
            self.observer(self.node, method, outcome, time.monotonic() - started)

    async def subscribe(self, source: str) -> None:
        """Subscribe this application to an event source (``channel:<id>``, ``endpoint:PJSIP[/<id>]``).

        Raises as :meth:`request` does (422 when the source does not exist).
        """
        path = f"/applications/{self.quoted(self.app)}/subscription"
        await self.request("POST", path, params={"eventSource": source})

    @staticmethod
    def quoted(segment: str) -> str:
        """A path segment, percent-encoded (object and channel ids are safe already; this keeps them so)."""
        return quote(segment, safe="")

    async def events(self) -> AsyncGenerator[StreamItem, None]:
        """The application's events, forever: reconnects with backoff and jitter whenever the websocket drops.

        Yields :class:`AriConnected` as soon as the websocket is up (the application then exists on the node), then
        each event as a dict, and :class:`AriDisconnected` when the connection is lost. Subscriptions are the
        caller's to make: a refused one must not count as a lost connection (a node that has never held a PJSIP
        endpoint refuses ``endpoint:PJSIP``, and only pushes made once connected can change that).
        """
        retry = Backoff(self.first_retry, self.max_retry)
        ws_url = self.base + "/events"
        quiet = False  # once an outage is reported, its further failed attempts are logged at debug level
        while True:
            connected = False
            try:
                async with self._http().ws_connect(
                    ws_url,
                    params={"app": self.app, "subscribeAll": "false"},
                    heartbeat=self.heartbeat,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=self.timeout),
                ) as ws:
                    connected = True
                    quiet = False
                    retry.reset()
                    yield AriConnected(self.node)
                    async for message in ws:
                        if message.type is aiohttp.WSMsgType.TEXT:
                            try:
                                event = json.loads(message.data)
                            except ValueError:
                                log.warning("ARI %s sent an event that is not JSON; skipped", self.node)
                                continue
                            if isinstance(event, dict):
                                yield event
                        elif message.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                            break
            except (aiohttp.ClientError, TimeoutError) as error:
                # The status says what went wrong (401: wrong ARI credentials); the error's text may hold the URL.
                status = getattr(error, "status", None)
                said = f" (HTTP {status})" if status else ""
                level = logging.DEBUG if quiet and not connected else logging.WARNING
                log.log(level, "ARI events from %s: %s%s; reconnecting", self.node, type(error).__name__, said)
                quiet = True
            if connected:
                yield AriDisconnected(self.node)
            await asyncio.sleep(retry.next())


async def unless_missing(client: AriClient, method: str, path: str) -> tuple[bool, Any]:
    """Send a request where Asterisk's 404 is an answer, not a failure: (found, decoded body)."""
    try:
        return True, await client.request(method, path)
    except AriRequestFailed as error:
        if error.status == 404:
            return False, None
        raise
