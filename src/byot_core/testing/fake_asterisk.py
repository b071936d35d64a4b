"""A fake Asterisk that speaks ARI over real HTTP and websockets, for tests and benchmarks.

It answers the way Asterisk 22 answered when recorded (``shared/asterisk/captures``):

- dynamic configuration (``/ari/asterisk/config/dynamic/res_pjsip/{type}/{id}``): 403 "Cannot create sorcery
  objects of type '…'" without a writable wizard; ``PUT`` answers the whole object with every default filled in,
  merges into an existing object, and list options only grow (``match``, ``contact``; ``allow`` until a
  ``disallow``); booleans come back ``true``/``false``, codecs as ``(ulaw|alaw)``, ``match`` as ``addr/netmask``
  (hostnames resolved); ``disallow`` is never reported; 400 "… failed field value validation"; 404 "Object with id
  '…' not found"; a restart forgets everything pushed into memory;
- channels: originate with a JSON body, the events Asterisk sends for each way a gateway answers (a refused call
  never enters the application), inbound calls matched to endpoints by ``identify``, explicit answer, refusal with a
  Q.850 cause (``reason_code=21`` answers the carrier 403), and ``ChannelDestroyed`` after ``StasisEnd`` only for
  subscribed channels;
- the event websocket (an application's events go only to the websocket that registered it last), and
  ``ContactStatusChange`` for applications subscribed to ``endpoint:PJSIP``; that subscription answers 422 "Event
  source does not exist" until a PJSIP endpoint has existed since the node started (observed 2026-11-29);
- faults: error answers, stalled answers, dropped websockets, a node that is down, a restart.

Gateways are scripted by their ``host:port`` with :class:`GatewayPlay` values.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import enum
import hmac
import ipaddress
import itertools
import json
import logging
import signal
import socket
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import attrs
from aiohttp import WSCloseCode, web

__all__ = ["FakeAsterisk", "FakeChannel", "GatewayPlay"]

_DEFAULTS: dict[str, dict[str, str]] = json.loads(
    resources.files("byot_core.testing").joinpath("asterisk_defaults.json").read_text()
)
_BOOLEANS = {t: {k for k, v in fields.items() if v in ("true", "false")} for t, fields in _DEFAULTS.items()}
_TRUTHY = {"yes", "true", "on", "1", "y", "t"}
_FALSY = {"no", "false", "off", "0", "n", "f"}
_CODECS = {"ulaw", "alaw", "g722", "g729", "gsm", "opus", "slin", "slin16", "ilbc", "speex", "g726", "lpc10"}
_CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "No answer",
    21: "Call Rejected",
    27: "Destination out of order",
    34: "Circuit/channel congestion",
    41: "Temporary failure",
}
# What the carrier hears when Asterisk refuses an unanswered inbound channel with a Q.850 cause.
_CAUSE_TO_SIP = {1: 404, 16: 603, 17: 486, 18: 408, 19: 480, 20: 480, 21: 403, 27: 502, 34: 503, 41: 503}
_REASON_TO_CAUSE = {"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "rejected": 21, "unallocated": 1}


class GatewayPlay(enum.Enum):
    """What a scripted gateway does with an INVITE: (rings, answers, Q.850 cause, SIP code, Dial status)."""

    ANSWER = (True, True, None, None, "ANSWER")
    ANSWER_THEN_BYE = (True, True, 0, None, "ANSWER")
    BUSY = (False, False, 17, 486, "BUSY")
    CONGESTION = (False, False, 34, 503, "CONGESTION")
    DECLINE = (False, False, 21, 603, "CHANUNAVAIL")
    NO_ANSWER = (True, False, 19, 480, "NOANSWER")
    TIMEOUT = (False, False, 18, 408, "NOANSWER")


@attrs.define
class FakeChannel:
    """A channel, with what the carrier saw: ``sip_answer`` is the final response to an inbound INVITE."""

    id: str
    name: str
    endpoint: str
    state: str
    caller: str
    exten: str
    context: str
    created: str
    app: str | None = None
    in_stasis: bool = False
    subscribers: set[str] = attrs.field(factory=set)
    variables: dict[str, str] = attrs.field(factory=dict)
    sip_answer: int | None = None
    hangup_cause: int | None = None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _error(status: int, message: str) -> web.Response:
    return _json({"message": message}, status)


class _Invalid(Exception):
    pass


def _parse_match(value: str, resolve: Callable[[str], list[str]]) -> list[str]:
    entries = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            network = ipaddress.ip_network(part, strict=False)
        except ValueError:
            try:
                addresses = resolve(part)
            except Exception as error:
                raise _Invalid(part) from error
            networks = [ipaddress.ip_network(a) for a in addresses]
        else:
            networks = [network]
        entries += [f"{n.network_address}/{n.netmask}" for n in networks]
    return entries


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An ``addr/netmask`` entry as Asterisk reports it, as a network (IPv6 masks are written out in full too)."""
    address, _, mask = entry.partition("/")
    bits = bin(int(ipaddress.ip_address(mask))).count("1")
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


class FakeAsterisk:
    """One fake Asterisk node on loopback. ``await start()``, use :attr:`url`, ``await stop()``.

    Gateways without a script play ``default_play``. ``writable=False`` plays an Asterisk whose ``sorcery.conf`` has
    no writable wizard. ``resolve`` turns a hostname in ``match`` into addresses (the default knows none, as a
    resolver without network would). ``latency`` delays every REST answer, as a network between the library and
    Asterisk would. ``port`` 0 lets the system choose one.
    """

    def __init__(
        self,
        username: str = "byot",
        password: str = "secret",  # noqa: S107 - a test double's default
        *,
        writable: bool = True,
        resolve: Callable[[str], list[str]] | None = None,
        event_delay: float = 0.0,
        timeout_delay: float = 0.05,
        latency: float = 0.0,
        default_play: GatewayPlay = GatewayPlay.ANSWER,
        port: int = 0,
    ) -> None:
        self.username = username
        self.password = password
        self.writable = writable
        self.resolve = resolve or self._no_dns
        self.event_delay = event_delay
        self.timeout_delay = timeout_delay
        self.latency = latency
        self.default_play = default_play
        self.objects: dict[tuple[str, str], dict[str, str]] = {}
        self.file_objects: set[tuple[str, str]] = set()
        self.channels: dict[str, FakeChannel] = {}
        self.ended: dict[str, FakeChannel] = {}
        # The most recent requests, for tests to read; bounded so that a long-running fake does not grow.
        self.requests: deque[tuple[str, str]] = deque(maxlen=100_000)
        self.scripts: dict[str, deque[GatewayPlay]] = {}
        self.dialled: list[tuple[str, str, str]] = []
        self.restarts = 0
        self.events_sent = 0
        # Asterisk creates the PJSIP endpoint event source with the first PJSIP endpoint, and keeps it until it stops.
        self.endpoint_source = False
        self._faults: list[tuple[str, str, int, float]] = []
        # Per application, its websockets in the order they registered: Asterisk sends an application's events only
        # to the one that registered it last.
        self._sockets: dict[str, list[web.WebSocketResponse]] = {}
        self._subscriptions: dict[str, set[str]] = {}
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.port = port
        self.add_file_object("transport", "transport-udp", {"protocol": "udp", "bind": "0.0.0.0:5060"})

    @staticmethod
    def _no_dns(host: str) -> list[str]:
        raise LookupError(host)

    # -- life cycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The HTTP base to give the ARI client (``http://127.0.0.1:<port>``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the node answers."""
        return self._runner is not None

    async def start(self) -> None:
        """Listen (on the same port as before, after a stop or restart)."""
        app = web.Application()
        app.router.add_route("*", "/ari/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            # The port the OS chose; kept so that a restart comes back where clients expect it.
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop answering (connections refused), closing every websocket."""
        for sockets in self._sockets.values():
            for ws in list(sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY)
        self._sockets.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restart(self, downtime: float = 0.0) -> None:
        """Restart Asterisk: objects pushed into memory, channels and subscriptions are gone; file objects stay.

        The node refuses connections for ``downtime`` seconds in between (a real restart took about 2.5 s).
        """
        await self.stop()
        await asyncio.sleep(downtime)
        self.objects = {k: v for k, v in self.objects.items() if k in self.file_objects}
        self.channels.clear()
        self._subscriptions.clear()
        self.endpoint_source = any(type_ == "endpoint" for type_, _ in self.file_objects)
        self.restarts += 1
        await self.start()

    async def drop_websockets(self) -> None:
        """Close every event websocket (the network dropped them); REST keeps answering."""
        for sockets in self._sockets.values():
            for ws in list(sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY)

    def fail_next(
        self, count: int, *, status: int = 500, path_contains: str = "", stall: float = 0.0, method: str = ""
    ) -> None:
        """Make the next ``count`` requests whose path contains ``path_contains`` fail.

        They answer ``status`` after ``stall`` seconds; with ``status=0`` they only stall, then answer normally (a
        client with a shorter timeout gives up first). ``method`` limits the fault to one HTTP method.
        """
        self._faults += [(method.upper(), path_contains, status, stall)] * count

    def clear_faults(self) -> None:
        """Forget every fault still waiting to happen."""
        self._faults.clear()

    def add_file_object(self, type_: str, object_id: str, fields: dict[str, str]) -> None:
        """An object from ``pjsip.conf``: readable, never writable or deletable over ARI, kept across restarts."""
        self.objects[(type_, object_id)] = {**_DEFAULTS.get(type_, {}), **fields}
        self.file_objects.add((type_, object_id))
        self.endpoint_source |= type_ == "endpoint"

    def script(self, gateway: str, *plays: GatewayPlay) -> None:
        """What the gateway at ``host:port`` does with the next INVITEs; the last play repeats."""
        self.scripts[gateway] = deque(plays)

    def owned(self, prefix: str = "byot-") -> dict[tuple[str, str], dict[str, str]]:
        """The objects whose id starts with ``prefix``."""
        return {k: v for k, v in self.objects.items() if k[1].startswith(prefix)}

    # -- HTTP -------------------------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected.encode())

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, path))
        if self.latency:
            await asyncio.sleep(self.latency)
        if not self._authorised(request):
            return _error(401, "Authentication required")
        for index, (method, needle, status, stall) in enumerate(self._faults):
            if needle in path and method in ("", request.method):
                del self._faults[index]
                if stall:
                    await asyncio.sleep(stall)
                if status:
                    return _error(status, "Internal Server Error")
                break
        parts = [p for p in path.split("/") if p]
        if parts == ["events"]:
            return await self._events(request)
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return _error(400, "Failed to parse body")
        routes: list[tuple[str, list[str], Callable[..., Any]]] = [
            ("PUT", ["asterisk", "config", "dynamic", "*", "*", "*"], self._put_object),
            ("GET", ["asterisk", "config", "dynamic", "*", "*", "*"], self._get_object),
            ("DELETE", ["asterisk", "config", "dynamic", "*", "*", "*"], self._delete_object),
            ("GET", ["endpoints", "*"], self._list_endpoints),
            ("POST", ["channels"], self._originate),
            ("GET", ["channels", "*"], self._get_channel),
            ("POST", ["channels", "*", "answer"], self._answer),
            ("DELETE", ["channels", "*"], self._hang_up),
            ("GET", ["channels", "*", "variable"], self._variable),
            ("POST", ["applications", "*", "subscription"], self._subscribe),
        ]
        for method, pattern, handler in routes:
            matches = len(pattern) == len(parts) and all(p in ("*", q) for p, q in zip(pattern, parts, strict=True))
            if method == request.method and matches:
                args = [q for p, q in zip(pattern, parts, strict=True) if p == "*"]
                response: web.StreamResponse = await handler(request, body, *args)
                return response
        return _error(404, "Resource not found")

    # -- dynamic configuration --------------------------------------------------------------------------------

    def _check_class(self, config_class: str, type_: str) -> web.Response | None:
        if config_class != "res_pjsip":
            return _error(404, f"configClass '{config_class}' not found")
        if type_ not in _DEFAULTS and type_ != "transport":
            return _error(404, f"objectType '{type_}' not found")
        return None

    @staticmethod
    def _as_list(obj: dict[str, str]) -> list[dict[str, str]]:
        return [{"attribute": k, "value": v} for k, v in obj.items()]

    async def _get_object(self, _: web.Request, __: Any, config_class: str, type_: str, oid: str) -> web.Response:
        refused = self._check_class(config_class, type_)
        if refused is not None:
            return refused
        found = self.objects.get((type_, oid))
        if found is None:
            return _error(404, f"Object with id '{oid}' not found")
        return _json(self._as_list(found))

    def _merged(self, type_: str, current: dict[str, str], fields: Iterable[tuple[str, str]]) -> dict[str, str]:
        obj = dict(current)
        for key, value in fields:
            if key not in _DEFAULTS[type_] and key != "disallow":
                raise _Invalid(key)
            if key in _BOOLEANS[type_]:
                if value.lower() not in _TRUTHY | _FALSY:
                    raise _Invalid(key)
                obj[key] = "true" if value.lower() in _TRUTHY else "false"
            elif key in ("allow", "disallow"):
                codecs = [c.strip() for c in value.split(",") if c.strip()]
                if any(c not in _CODECS | {"all"} for c in codecs):
                    raise _Invalid(key)
                have = [c for c in obj["allow"].strip("()").split("|") if c]
                if key == "disallow":
                    have = [] if "all" in codecs else [c for c in have if c not in codecs]
                else:
                    have += [c for c in (sorted(_CODECS) if "all" in codecs else codecs) if c not in have]
                obj["allow"] = "(" + "|".join(have) + ")"
            elif key == "match":
                added = _parse_match(value, self.resolve)
                obj[key] = ",".join([m for m in obj[key].split(",") if m] + added)
            elif key == "contact":
                known = [c for c in obj[key].split(",") if c]
                obj[key] = ",".join(known + [c for c in value.split(",") if c and c not in known])
            elif key in ("qualify_frequency", "retry_interval", "max_contacts", "expiration"):
                if not value.isdigit():
                    raise _Invalid(key)
                obj[key] = value
            else:
                obj[key] = value
        return obj

    async def _put_object(self, _: web.Request, body: Any, config_class: str, type_: str, oid: str) -> web.Response:
        refused = self._check_class(config_class, type_)
        if refused is not None:
            return refused
        key = (type_, oid)
        existing = self.objects.get(key)
        if key in self.file_objects or type_ == "transport":
            verb = "Update" if existing is not None else "Creation"
            return _error(
                400 if existing is not None else 403, f"{verb} of object '{oid}' failed field value validation"
            )
        if not self.writable:
            return _error(403, f"Cannot create sorcery objects of type '{type_}'")
        raw = (body or {}).get("fields", []) if isinstance(body, dict) else []
        verb = "Update" if existing is not None else "Creation"
        try:
            fields = [(str(item["attribute"]), str(item["value"])) for item in raw]
            obj = self._merged(type_, existing if existing is not None else _DEFAULTS[type_], fields)
        except (_Invalid, KeyError, TypeError):
            return _error(400, f"{verb} of object '{oid}' failed field value validation")
        self.objects[key] = obj
        self.endpoint_source |= type_ == "endpoint"
        return _json(self._as_list(obj))

    async def _delete_object(self, _: web.Request, __: Any, config_class: str, type_: str, oid: str) -> web.Response:
        refused = self._check_class(config_class, type_)
        if refused is not None:
            return refused
        key = (type_, oid)
        if key not in self.objects:
            return _error(404, f"Object with id '{oid}' not found")
        if key in self.file_objects:
            return _error(403, f"Could not delete object with id '{oid}'")
        del self.objects[key]
        return web.Response(status=204)

    async def _list_endpoints(self, _: web.Request, __: Any, tech: str) -> web.Response:
        if tech != "PJSIP":
            return _error(404, "No Endpoints found - invalid tech")
        return _json([self._endpoint_json(oid) for (t, oid) in self.objects if t == "endpoint"])

    def _endpoint_json(self, oid: str) -> dict[str, Any]:
        busy = [c.id for c in self.channels.values() if c.endpoint == oid]
        return {"technology": "PJSIP", "resource": oid, "state": "online" if busy else "unknown", "channel_ids": busy}

    # -- events -----------------------------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        app = request.query.get("app", "")
        if not app:
            return _error(400, "Missing parameter app")
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

    def connected_apps(self) -> set[str]:
        """The applications with an open event websocket."""
        return {app for app, sockets in self._sockets.items() if sockets}

    def _send(self, app: str, event: dict[str, Any]) -> None:
        message = json.dumps({**event, "asterisk_id": "02:fc:00:00:00:01", "application": app})
        live = [ws for ws in self._sockets.get(app, ()) if not ws.closed]
        if live:
            self.events_sent += 1
            task = asyncio.ensure_future(live[-1].send_str(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _channel_json(self, channel: FakeChannel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "state": channel.state,
            "protocol_id": f"{channel.id}@fake",
            "caller": {"name": "", "number": channel.caller},
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {
                "context": channel.context,
                "exten": channel.exten,
                "priority": 1,
                "app_name": "Stasis" if channel.in_stasis else "AppDial2",
                "app_data": f"{channel.app},{channel.exten}" if channel.in_stasis else "(Outgoing Line)",
            },
            "creationtime": channel.created,
            "language": "en",
        }

    def _channel_event(self, channel: FakeChannel, type_: str, **extra: Any) -> None:
        event = {"type": type_, "timestamp": _now(), "channel": self._channel_json(channel), **extra}
        apps = set(channel.subscribers)
        if channel.in_stasis and channel.app:
            apps.add(channel.app)
        for app in apps:
            self._send(app, event)

    def _dial_event(self, channel: FakeChannel, status: str) -> None:
        event = {
            "type": "Dial",
            "timestamp": _now(),
            "dialstatus": status,
            "forward": "",
            "dialstring": f"{channel.exten}@{channel.endpoint}",
            "peer": self._channel_json(channel),
        }
        for app in channel.subscribers:
            self._send(app, event)

    def set_contact_status(self, aor: str, status: str) -> None:
        """Report a gateway's qualify result (``Reachable``, ``Unreachable``) to subscribed applications."""
        contact = self.objects.get(("aor", aor), {}).get("contact", "")
        for (type_, oid), fields in self.objects.items():
            if type_ == "endpoint" and aor in fields.get("aors", "").split(","):
                event = {
                    "type": "ContactStatusChange",
                    "timestamp": _now(),
                    "contact_info": {"uri": contact, "contact_status": status, "aor": aor, "roundtrip_usec": "0"},
                    "endpoint": self._endpoint_json(oid),
                }
                for app, sources in self._subscriptions.items():
                    if {"endpoint:PJSIP", f"endpoint:PJSIP/{oid}"} & sources:
                        self._send(app, event)

    def subscriptions(self, app: str = "byot") -> frozenset[str]:
        """The event sources the application is subscribed to."""
        return frozenset(self._subscriptions.get(app, ()))

    async def _subscribe(self, request: web.Request, _: Any, app: str) -> web.Response:
        source = request.query.get("eventSource", "")
        kind, _, name = source.partition(":")
        if kind not in ("channel", "endpoint"):
            return _error(400, "Invalid event source URI scheme")
        if kind == "channel":
            missing = name not in self.channels
        elif name == "PJSIP":
            missing = not self.endpoint_source
        else:
            missing = ("endpoint", name.removeprefix("PJSIP/")) not in self.objects
        if missing:
            return _error(422, "Event source does not exist")
        if kind == "channel":
            self.channels[name].subscribers.add(app)
        self._subscriptions.setdefault(app, set()).add(source)
        return _json({"name": app, "channel_ids": [], "bridge_ids": [], "endpoint_ids": [], "device_names": []})

    # -- channels ---------------------------------------------------------------------------------------------

    def _later(self, delay: float, action: Callable[[], None]) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            action()

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _new_channel(self, endpoint: str, exten: str, caller: str, context: str, cid: str | None) -> FakeChannel:
        channel = FakeChannel(
            id=cid or f"1795780{next(self._ids):03d}.{next(self._seq)}",
            name=f"PJSIP/{endpoint}-{next(self._seq):08x}",
            endpoint=endpoint,
            state="Down",
            caller=caller,
            exten=exten,
            context=context,
            created=_now(),
        )
        self.channels[channel.id] = channel
        return channel

    def _destroy(self, channel: FakeChannel, cause: int, sip: int | None, dialstatus: str | None = None) -> None:
        """Hang the channel up in Asterisk's order: HangupRequest, (Dial status), StasisEnd, ChannelDestroyed."""
        if channel.id not in self.channels:
            return
        del self.channels[channel.id]
        self.ended[channel.id] = channel
        channel.hangup_cause = cause
        causes: dict[str, Any] = {"cause": cause}
        if sip is not None:
            causes["tech_cause"] = sip
        # A BYE from the far end shows as a hangup request without a cause; Asterisk's own hangups carry one.
        self._channel_event(channel, "ChannelHangupRequest", **({} if cause == 0 else {"soft": True, **causes}))
        if dialstatus is not None:
            self._dial_event(channel, dialstatus)
        if channel.in_stasis:
            self._channel_event(channel, "StasisEnd")
        channel.in_stasis = False
        self._channel_event(channel, "ChannelDestroyed", cause_txt=_CAUSE_TEXT.get(cause, "Unknown"), **causes)

    async def _originate(self, request: web.Request, body: Any, *_: str) -> web.Response:
        given = {**request.query, **(body if isinstance(body, dict) else {})}
        endpoint = str(given.get("endpoint", ""))
        app = str(given.get("app", ""))
        tech, _sep, rest = endpoint.partition("/")
        number, _at, endpoint_id = rest.rpartition("@")
        if tech != "PJSIP" or not endpoint_id or not app:
            return _error(400, "Endpoint must be specified")
        if ("endpoint", endpoint_id) not in self.objects:
            return _error(500, "Allocation failed")
        cid = given.get("channelId")
        if cid in self.channels:
            return _error(409, "Channel with given unique ID already exists")
        fields = self.objects[("endpoint", endpoint_id)]
        channel = self._new_channel(endpoint_id, number, str(given.get("callerId", "")), fields["context"], cid)
        channel.app = app
        channel.subscribers.add(app)
        aor = self.objects.get(("aor", fields["aors"].split(",")[0]), {})
        gateway = aor.get("contact", "").removeprefix("sip:")
        self.dialled.append((gateway, number, channel.id))
        plays = self.scripts.get(gateway)
        play = (plays.popleft() if len(plays) > 1 else plays[0]) if plays else self.default_play
        args = [a for a in str(given.get("appArgs", "")).split(",") if a]
        delay = self.timeout_delay if play is GatewayPlay.TIMEOUT else self.event_delay
        self._later(delay, lambda: self._play(channel, play, args))
        return _json(self._channel_json(channel))

    def _play(self, channel: FakeChannel, play: GatewayPlay, args: list[str]) -> None:
        rings, answers, cause, sip, dialstatus = play.value
        self._dial_event(channel, "")
        if rings:
            channel.state = "Ringing"
            self._channel_event(channel, "ChannelStateChange")
            self._dial_event(channel, "RINGING")
        if answers:
            channel.state = "Up"
            self._channel_event(channel, "ChannelStateChange")
            self._dial_event(channel, dialstatus)
            channel.in_stasis = True
            event = {"type": "StasisStart", "timestamp": _now(), "args": args, "channel": self._channel_json(channel)}
            self._send(channel.app or "", event)
            if cause is not None:
                self._later(self.event_delay, lambda: self._destroy(channel, cause, sip))
            return
        assert cause is not None
        self._destroy(channel, cause, sip, dialstatus)

    def remote_hang_up(self, channel_id: str) -> None:
        """The far end sends BYE without a Reason header (Asterisk reports cause 0)."""
        channel = self.channels.get(channel_id)
        if channel is not None:
            self._destroy(channel, 0, None)

    def inbound_call(
        self,
        did: str,
        source: str,
        *,
        port: int = 5060,
        caller: str = "sipp",
        inbound_context: str = "byot-inbound",
        app: str = "byot",
    ) -> FakeChannel:
        """A carrier at ``source`` sends an INVITE for ``did``.

        The endpoint is found as Asterisk finds it: the ``identify`` whose ``match`` holds the source, else an
        endpoint named ``anonymous`` if one exists, else the call is challenged (401). The endpoint's ``context``
        decides: ``inbound_context`` enters the Stasis ``app`` (603 if no application is connected), any other
        context refuses the call with cause 21 (403).
        """
        address = ipaddress.ip_address(source)
        endpoint = None
        for (type_, _), fields in self.objects.items():
            if type_ == "identify":
                for entry in filter(None, fields["match"].split(",")):
                    if address in _network(entry):
                        endpoint = fields["endpoint"]
        if endpoint is None and ("endpoint", "anonymous") in self.objects:
            endpoint = "anonymous"
        context = self.objects.get(("endpoint", endpoint or ""), {}).get("context", "")
        channel = self._new_channel(endpoint or "anonymous", did, caller, context, None)
        channel.variables["CHANNEL(pjsip,remote_addr)"] = f"{source}:{port}"
        if endpoint is None or context != inbound_context or app not in self.connected_apps():
            del self.channels[channel.id]
            self.ended[channel.id] = channel
            channel.sip_answer = 401 if endpoint is None else 403 if context != inbound_context else 603
            return channel
        channel.state = "Ring"
        channel.app = app
        channel.in_stasis = True
        self._send(
            app, {"type": "StasisStart", "timestamp": _now(), "args": [did], "channel": self._channel_json(channel)}
        )
        return channel

    async def _get_channel(self, _: web.Request, __: Any, channel_id: str) -> web.Response:
        channel = self.channels.get(channel_id)
        if channel is None:
            return _error(404, "Channel not found")
        return _json(self._channel_json(channel))

    async def _answer(self, _: web.Request, __: Any, channel_id: str) -> web.Response:
        channel = self.channels.get(channel_id)
        if channel is None:
            return _error(404, "Channel not found")
        if not channel.in_stasis:
            return _error(409, "Channel not in Stasis application")
        if channel.state != "Up":
            channel.state = "Up"
            channel.sip_answer = 200
            self._channel_event(channel, "ChannelStateChange")
        return web.Response(status=204)

    async def _hang_up(self, request: web.Request, _: Any, channel_id: str) -> web.Response:
        channel = self.channels.get(channel_id)
        if channel is None:
            return _error(404, "Channel not found")
        code = request.query.get("reason_code")
        reason = request.query.get("reason")
        if code is not None and not code.isdigit():
            return _error(400, "Invalid reason for hangup provided")
        if reason is not None and reason not in _REASON_TO_CAUSE:
            return _error(400, "Invalid reason for hangup provided")
        cause = int(code) if code is not None else _REASON_TO_CAUSE.get(reason or "normal", 16)
        if channel.state != "Up" and channel.sip_answer is None:
            channel.sip_answer = _CAUSE_TO_SIP.get(cause, 603)
        self._destroy(channel, cause, None)
        return web.Response(status=204)

    async def _variable(self, request: web.Request, _: Any, channel_id: str) -> web.Response:
        channel = self.channels.get(channel_id)
        if channel is None:
            return _error(404, "Channel not found")
        name = request.query.get("variable", "")
        if name not in channel.variables:
            return _error(404, "Provided variable was not found")
        return _json({"value": channel.variables[name]})

    async def settle(self) -> None:
        """Wait until every scheduled event has been sent."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _system_or_test_net(host: str) -> list[str]:
    """Resolve as Asterisk would; a name the system cannot resolve (no network) becomes 192.0.2.1 (TEST-NET-1)."""
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)})
    except OSError:
        return ["192.0.2.1"]


async def _serve(args: argparse.Namespace) -> None:
    node = FakeAsterisk(
        args.user,
        args.password,
        resolve=_system_or_test_net,
        latency=args.latency_ms / 1000,
        default_play=GatewayPlay[args.play.upper().replace("-", "_")],
        port=args.port,
    )
    await node.start()
    print(f"fake Asterisk: ARI on {node.url} (user {args.user}, application events at /ari/events)", flush=True)
    print("hostnames in identify matches resolve through the system, or to 192.0.2.1 when they cannot", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await node.stop()


def main(argv: list[str] | None = None) -> None:
    """Run a fake Asterisk until interrupted: ``python -m byot_core.testing.fake_asterisk --port 8088``."""
    parser = argparse.ArgumentParser(description="A fake Asterisk speaking ARI, for trying byot without Asterisk.")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--user", default="byot")
    parser.add_argument("--password", default="secret", help="the ARI password to accept (a test double's)")
    parser.add_argument(
        "--play", default="answer-then-bye", choices=[p.name.lower().replace("_", "-") for p in GatewayPlay]
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every REST answer")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
