"""The telephony port on Asterisk over ARI: configuration pushed to every node, calls placed and followed.

Configuration: each trunk's desired PJSIP objects (:mod:`.pjsip`) are compared with what each node reports and only
the differences are written, in dependency order (auth and AORs before endpoints; the reverse when removing).
Objects of the trunk that are no longer desired (a gateway fewer, a registration no longer needed) are deleted.
Only ids under the library's prefix are ever written or deleted.

Calls: an attempt is originated on one node through the gateway's endpoint with a JSON body, and followed through
``ChannelStateChange``, ``Dial`` and ``ChannelDestroyed``. An inbound call enters the Stasis application
(``StasisStart``); the adapter reads the source address from the channel, subscribes to the channel (so that its
``ChannelDestroyed`` arrives after it leaves the application), and reports it. ``ContactStatusChange`` (the AOR's
qualify) tells which gateways are unreachable (:mod:`.health`).

A node counts as connected as soon as its event websocket is up; nothing on connect is allowed to hold that back.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from byot_core.adapters.asterisk.ari import (
    AriClient,
    AriConnected,
    AriDisconnected,
    AriRequestFailed,
    AriUnreachable,
    StreamItem,
)
from byot_core.adapters.asterisk.compare import GROWING, differences, fields_body
from byot_core.adapters.asterisk.health import GatewayHealth
from byot_core.adapters.asterisk.pjsip import (
    OWNED_PREFIX,
    PjsipObject,
    desired_objects,
    gateway_object_ids,
    trunk_object_ids,
)
from byot_core.domain.causes import Q850
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.events import (
    CallAnswered,
    CallEnded,
    CallEvent,
    CallRinging,
    InboundCallArrived,
    TelephonyReconnected,
)
from byot_core.domain.telephony import OriginateRequest, TrunkConfig
from byot_core.domain.trunk import Trunk
from byot_core.domain.trunk_input import MAX_GATEWAYS

__all__ = ["OUTBOUND_ARG", "AriTelephony"]

log = logging.getLogger(__name__)

_CONFIG = "/asterisk/config/dynamic/res_pjsip"
#: The Stasis argument of originated channels, so their StasisStart is not taken for an inbound call.
OUTBOUND_ARG = "byot-outbound"
_GATEWAY_ID = re.compile(re.escape(OWNED_PREFIX) + r"(?P<trunk>[A-Za-z0-9_.-]+?)-gw(?P<position>[0-9]+)")
_REMOTE_ADDR = "CHANNEL(pjsip,remote_addr)"
#: Object types in the order they may be created: each layer only refers to the layers before it.
_LAYERS = (frozenset({"auth", "aor"}), frozenset({"endpoint"}), frozenset({"identify", "registration"}))


def _endpoint_of(channel_name: str) -> str:
    """``PJSIP/byot-<trunk>-gw1-0000002a`` → ``byot-<trunk>-gw1``."""
    return channel_name.partition("/")[2].rpartition("-")[0]


def _host(remote_addr: str) -> str | None:
    """``203.0.113.5:5060`` or ``[2001:db8::1]:5060`` → the address alone."""
    if remote_addr.startswith("["):
        return remote_addr[1:].partition("]")[0] or None
    return remote_addr.rpartition(":")[0] or remote_addr or None


async def _unless_missing(client: AriClient, method: str, path: str) -> tuple[bool, Any]:
    """Send a request where Asterisk's 404 is an answer, not a failure: (found, decoded body)."""
    try:
        return True, await client.request(method, path)
    except AriRequestFailed as error:
        if error.status == 404:
            return False, None
        raise


class AriTelephony:
    """Telephony on one or more Asterisk nodes, each reached through an :class:`AriClient` for the same app."""

    def __init__(self, clients: Sequence[AriClient]) -> None:
        if not clients:
            raise ValueError("at least one Asterisk node is needed")
        self.clients = tuple(clients)
        self._channels: dict[str, AriClient] = {}
        self.health = GatewayHealth()
        self._connected: set[str] = set()
        # Channels this process originated: their StasisStart is an answer, never an inbound call.
        self._originated: set[str] = set()
        self._turn = itertools.count()
        #: ARI events received from every node so far (a figure for monitoring and benchmarks).
        self.events_received = 0

    @property
    def connected_nodes(self) -> frozenset[str]:
        """The nodes whose event websocket is up now."""
        return frozenset(self._connected)

    async def close(self) -> None:
        """Stop background work and close every node's HTTP session."""
        await self.health.close()
        for client in self.clients:
            await client.close()

    # -- configuration ----------------------------------------------------------------------------------------

    @staticmethod
    def _path(type_: str, object_id: str) -> str:
        return f"{_CONFIG}/{type_}/{AriClient.quoted(object_id)}"

    async def _read(self, client: AriClient, type_: str, object_id: str) -> dict[str, str] | None:
        found, body = await _unless_missing(client, "GET", self._path(type_, object_id))
        return {str(item["attribute"]): str(item["value"]) for item in body or ()} if found else None

    async def _delete(self, client: AriClient, type_: str, object_id: str) -> int:
        found, _ = await _unless_missing(client, "DELETE", self._path(type_, object_id))
        return int(found)

    async def _write(self, client: AriClient, obj: PjsipObject, reported: dict[str, str] | None) -> int:
        if reported is not None:
            differ = differences(obj, reported)
            if not differ:
                return 0
            if differ & GROWING:
                await self._delete(client, obj.type, obj.id)
        await client.request("PUT", self._path(obj.type, obj.id), body=fields_body(obj))
        return 1

    async def _apply_on(
        self, client: AriClient, trunk_id: str, desired: Sequence[PjsipObject], thorough: bool = True
    ) -> int:
        # Reads go out together; writes go layer by layer (auth and AORs, then endpoints, then what points at them),
        # each layer's objects together: over a network this costs a few round trips, not one per object.
        reported = await asyncio.gather(*(self._read(client, obj.type, obj.id) for obj in desired))
        written = 0
        for layer in _LAYERS:
            pending = [(o, r) for o, r in zip(desired, reported, strict=True) if o.type in layer]
            written += sum(await asyncio.gather(*(self._write(client, o, r) for o, r in pending)))
        if client.node in self._connected:
            # The first endpoint on a fresh or restarted node makes its endpoint event source exist.
            self.health.watch(client)
        if not thorough and not written:
            # Stored as applied in this very shape, and every object as intended: no earlier shape left anything.
            return 0
        return written + await self._remove_on(client, trunk_id, keep={(o.type, o.id) for o in desired})

    async def _remove_on(self, client: AriClient, trunk_id: str, keep: set[tuple[str, str]] | None = None) -> int:
        """Delete the trunk's objects not in ``keep``, dependants first.

        Gateway objects are found by walking positions up from the first one not kept until one has neither an
        endpoint nor an AOR, and deleted from the highest position down: an interrupted removal then leaves the
        lowest positions, where the next walk starts, so nothing is ever stranded above a gap.
        """
        keep = keep or set()
        base = trunk_object_ids(trunk_id)

        async def delete(*targets: tuple[str, str]) -> int:
            wanted = [t for t in targets if t not in keep]
            return sum(await asyncio.gather(*(self._delete(client, *t) for t in wanted)))

        removed = await delete(("registration", f"{base}-reg"), ("identify", f"{base}-identify"))
        found: list[str] = []
        for position in range(1, MAX_GATEWAYS + 2):
            object_id = f"{base}-gw{position}"
            if ("endpoint", object_id) in keep:
                continue
            present = await asyncio.gather(
                self._read(client, "endpoint", object_id), self._read(client, "aor", object_id)
            )
            if all(found is None for found in present):
                break
            found.append(object_id)
        for object_id in reversed(found):
            removed += await self._delete(client, "endpoint", object_id)
            removed += await self._delete(client, "aor", object_id)
        return removed + await delete(("auth", f"{base}-auth"))

    @staticmethod
    def _outcome(results: Sequence[int | BaseException], doing: str) -> int:
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures:
            if not isinstance(failure, TelephonyUnavailable):
                raise failure
        if failures:
            reasons = "; ".join(f.message for f in failures if isinstance(f, TelephonyUnavailable))
            raise TelephonyUnavailable(f"{doing} failed on {len(failures)} of {len(results)} Asterisk nodes: {reasons}")
        return sum(r for r in results if isinstance(r, int))

    async def apply_trunk(self, config: TrunkConfig, *, thorough: bool = True) -> int:
        """Bring every node in step with the trunk; raises after trying them all if any failed.

        ``thorough=False`` skips looking for leftover objects (a gateway fewer) on a node where every desired object
        was already as intended.
        """
        desired = desired_objects(config.trunk, config.password)
        results = await asyncio.gather(
            *(self._apply_on(c, config.trunk.id, desired, thorough) for c in self.clients), return_exceptions=True
        )
        return self._outcome(results, f"applying trunk {config.trunk.id}")

    async def remove_trunk(self, trunk_id: str) -> int:
        """Delete the trunk's objects from every node."""
        results = await asyncio.gather(*(self._remove_on(c, trunk_id) for c in self.clients), return_exceptions=True)
        return self._outcome(results, f"removing trunk {trunk_id}")

    async def configured_trunks(self) -> frozenset[str]:
        """The trunks with a gateway endpoint on any reachable node (``GET /ari/endpoints/PJSIP``)."""
        results = await asyncio.gather(
            *(c.request("GET", "/endpoints/PJSIP") for c in self.clients), return_exceptions=True
        )
        found: set[str] = set()
        for result in results:
            if isinstance(result, TelephonyUnavailable):
                continue
            if isinstance(result, BaseException):
                raise result
            for endpoint in result or ():
                match = _GATEWAY_ID.fullmatch(str(endpoint.get("resource", "")))
                if match is not None:
                    found.add(match["trunk"])
        if all(isinstance(r, BaseException) for r in results):
            raise TelephonyUnavailable("no Asterisk node could be reached")
        return frozenset(found)

    # -- calls ------------------------------------------------------------------------------------------------

    def unreachable_gateways(self, trunk: Trunk) -> frozenset[str]:
        """The trunk's gateways a node reported Unreachable (qualify), until one reports them Reachable again."""
        return frozenset(g for g, aor in gateway_object_ids(trunk).items() if not self.health.reachable(aor))

    def _node_order(self) -> list[AriClient]:
        """Nodes to originate on: connected ones first, taking turns among them."""
        start = next(self._turn)
        ring = [self.clients[(start + i) % len(self.clients)] for i in range(len(self.clients))]
        return [c for c in ring if c.node in self._connected] + [c for c in ring if c.node not in self._connected]

    async def originate(self, request: OriginateRequest) -> None:
        """Dial through the gateway's endpoint on the first node that takes the request."""
        endpoint = gateway_object_ids(request.trunk)[request.gateway.id]
        body = {
            "endpoint": f"PJSIP/{request.dialled}@{endpoint}",
            "app": self.clients[0].app,
            "appArgs": OUTBOUND_ARG,
            "callerId": request.caller_id,
            "timeout": request.timeout_seconds,
            "channelId": request.channel_id,
        }
        last: TelephonyUnavailable | None = None
        for client in self._node_order():
            # Recorded before the request: the channel's first events can arrive before its answer.
            self._channels[request.channel_id] = client
            self._originated.add(request.channel_id)
            try:
                await client.request("POST", "/channels", body=body)
            except AriUnreachable as error:
                if error.maybe_sent and await self._placed(client, request.channel_id):
                    return  # the answer was lost, not the call
                self._forget(request.channel_id)
                last = error
                continue  # never reached Asterisk, or Asterisk says no such channel: another node may take it
            except TelephonyUnavailable:
                self._forget(request.channel_id)
                raise  # the node answered: another node would refuse the same way
            return
        assert last is not None
        raise last

    async def _placed(self, client: AriClient, channel_id: str) -> bool:
        """Whether a request that may have reached Asterisk created the channel (we chose its id, so we can ask).

        When even that cannot be told, it raises: trying another node could ring the callee twice.
        """
        found, _ = await _unless_missing(client, "GET", f"/channels/{AriClient.quoted(channel_id)}")
        return found

    def _forget(self, channel_id: str) -> None:
        """The channel is gone (or was never made): drop what was kept about it."""
        self._channels.pop(channel_id, None)
        self._originated.discard(channel_id)

    def _owner(self, channel_id: str) -> list[AriClient]:
        client = self._channels.get(channel_id)
        return [client] if client is not None else list(self.clients)

    async def answer(self, channel_id: str) -> None:
        """Answer an inbound channel (it rings until the application answers it)."""
        await self._on_owner(channel_id, "POST", f"/channels/{AriClient.quoted(channel_id)}/answer")

    async def hang_up(self, channel_id: str, q850_cause: int = Q850.NORMAL_CLEARING) -> None:
        """End the channel with a Q.850 cause (an unanswered inbound call is refused: 21 answers the carrier 403)."""
        path = f"/channels/{AriClient.quoted(channel_id)}"
        await self._on_owner(channel_id, "DELETE", path, {"reason_code": str(q850_cause)}, missing_ok=True)

    async def _on_owner(
        self, channel_id: str, method: str, path: str, params: dict[str, str] | None = None, *, missing_ok: bool = False
    ) -> None:
        error: TelephonyUnavailable | None = None
        for client in self._owner(channel_id):
            try:
                await client.request(method, path, params=params)
                return
            except AriRequestFailed as failed:
                if failed.status != 404:
                    raise
                error = failed
            except TelephonyUnavailable as unreachable:
                error = unreachable
        if error is not None and not (missing_ok and isinstance(error, AriRequestFailed)):
            raise error

    # -- events -----------------------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[CallEvent]:
        """Every node's events, translated, as one stream (a node's own events stay in order)."""
        queue: asyncio.Queue[CallEvent] = asyncio.Queue()
        pumps = [asyncio.create_task(self._pump(c, queue), name=f"ari-events-{c.node}") for c in self.clients]
        try:
            while True:
                yield await queue.get()
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, client: AriClient, queue: asyncio.Queue[CallEvent]) -> None:
        async for item in client.events():
            self.events_received += not isinstance(item, AriConnected | AriDisconnected)
            try:
                for event in await self.translate(client, item):
                    queue.put_nowait(event)
            except TelephonyUnavailable as error:
                log.warning("event from %s not handled: %s", client.node, error.message)
            except (KeyError, TypeError, ValueError, AttributeError):
                log.warning("event from %s not understood; skipped", client.node)
            except Exception:  # one broken event must not end the node's stream, and with it every later call
                log.exception("event from %s could not be translated", client.node)

    async def translate(self, client: AriClient, item: StreamItem) -> list[CallEvent]:
        """The domain events one ARI event (or connection change) means; may ask Asterisk about the channel."""
        if isinstance(item, AriConnected):
            log.info("Asterisk %s: event stream connected", item.node)
            self._connected.add(item.node)
            self.health.watch(client)
            return [TelephonyReconnected(item.node)]
        if isinstance(item, AriDisconnected):
            log.warning("Asterisk %s: event stream lost; reconnecting", item.node)
            self._connected.discard(item.node)
            self.health.forget(item.node)
            return []
        kind = item.get("type")
        if kind == "ChannelStateChange":
            channel_id, state = item["channel"]["id"], item["channel"]["state"]
            if state == "Ringing":
                return [CallRinging(channel_id)]
            if state == "Up":
                return [CallAnswered(channel_id)]
        elif kind == "Dial" and item.get("dialstatus") == "PROGRESS":
            # 183 with early media: the far network reached the callee, as good as ringing for failover.
            return [CallRinging(item["peer"]["id"])]
        elif kind == "ChannelDestroyed":
            channel_id = item["channel"]["id"]
            self._forget(channel_id)
            return [CallEnded(channel_id, item.get("cause"), item.get("tech_cause"), item.get("cause_txt"))]
        elif kind == "StasisStart":
            return await self._stasis_start(client, item)
        elif kind == "ContactStatusChange":
            self.health.report(item)
        return []

    async def _stasis_start(self, client: AriClient, item: dict[str, Any]) -> list[CallEvent]:
        channel_id = str(item["channel"]["id"])
        if OUTBOUND_ARG in item.get("args", ()) or channel_id in self._originated:
            return []  # an originated channel answered; its ChannelStateChange already said so
        channel = item["channel"]
        self._channels[channel_id] = client
        quoted = AriClient.quoted(channel_id)
        source = None
        try:
            answer = await client.request("GET", f"/channels/{quoted}/variable", params={"variable": _REMOTE_ADDR})
            source = _host(str(answer.get("value", ""))) if isinstance(answer, dict) else None
        except TelephonyUnavailable as error:
            # Routed without it: the endpoint the call arrived on still identifies its trunk.
            log.warning("no source address for inbound channel %s: %s", channel_id, error.message)
        try:
            # Without a subscription, the channel's ChannelDestroyed is not sent once it leaves the application.
            await client.request(
                "POST",
                f"/applications/{AriClient.quoted(client.app)}/subscription",
                params={"eventSource": f"channel:{channel_id}"},
            )
        except TelephonyUnavailable as error:
            # Routed all the same: a caller refused over this is worse than an execution whose end may be missed.
            log.warning("inbound channel %s not subscribed: %s", channel_id, error.message)
        endpoint = _GATEWAY_ID.fullmatch(_endpoint_of(str(channel.get("name", ""))))
        caller = str(channel.get("caller", {}).get("number") or "") or None
        return [
            InboundCallArrived(
                channel_id=channel_id,
                called=str(channel["dialplan"]["exten"]),
                source=source,
                caller=caller,
                arrived_on_trunk_id=endpoint["trunk"] if endpoint is not None else None,
            )
        ]
