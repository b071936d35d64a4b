"""Every node's ARI events as one stream of domain call events.

Each event is read into a typed record (:mod:`.ari_events`) and translated. An inbound call enters the Stasis
application (``StasisStart``); the source address is read from the channel and the channel subscribed to (so that
its ``ChannelDestroyed`` arrives after it leaves the application) before it is reported. A connection counts as up
as soon as its websocket is: nothing on connect may hold that back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from byot_core.adapters.asterisk.ari import AriClient, AriConnected, AriDisconnected, StreamItem
from byot_core.adapters.asterisk.ari_events import (
    AriChannel,
    ChannelGone,
    ChannelState,
    ContactStatus,
    DialStatus,
    HangupRequested,
    MalformedEvent,
    RecordingDone,
    StasisStarted,
    read_event,
)
from byot_core.adapters.asterisk.calls import OUTBOUND_ARG, AriCalls
from byot_core.adapters.asterisk.media import AriMedia
from byot_core.adapters.asterisk.nodes import AriNodes
from byot_core.adapters.asterisk.pjsip import trunk_of_gateway_object
from byot_core.adapters.asterisk.recordings import AriRecordings
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.events import (
    CallAnswered,
    CallEnded,
    CallEvent,
    CallRinging,
    CodecAgreed,
    InboundCallArrived,
    TelephonyReconnected,
)
from byot_core.tasks import Background

__all__ = ["AriEventStream"]

log = logging.getLogger(__name__)

_REMOTE_ADDR = "CHANNEL(pjsip,remote_addr)"
#: The channel's audio formats: once a call is answered, the one codec its SIP leg agreed (``(ulaw)``).
_NATIVE_FORMAT = "CHANNEL(audionativeformat)"


def _endpoint_of(channel_name: str) -> str:
    """``PJSIP/byot-<trunk>-gw1-0000002a`` → ``byot-<trunk>-gw1``."""
    return channel_name.partition("/")[2].rpartition("-")[0]


def codec_of(native_formats: str) -> str | None:
    """``(ulaw)`` → ``ulaw``: the first of Asterisk's format list (its preferred), ``None`` for ``(nothing)``.

    The list is how Asterisk writes a format capability (``ast_format_cap_get_names``, ``main/format_cap.c``); with
    the endpoint defaults the library keeps (``asymmetric_rtp_codec=no``), an answered PJSIP channel's native
    audio formats hold the one codec agreed (``set_caps``, ``res/res_pjsip_sdp_rtp.c``).
    """
    first = native_formats.strip().removeprefix("(").removesuffix(")").split("|")[0].strip()
    return first if first and first != "nothing" else None


def _host(remote_addr: str) -> str | None:
    """``203.0.113.5:5060`` or ``[2001:db8::1]:5060`` → the address alone."""
    if remote_addr.startswith("["):
        return remote_addr[1:].partition("]")[0] or None
    return remote_addr.rpartition(":")[0] or remote_addr or None


class AriEventStream:
    """Translates each node's events, keeping the nodes' state and the calls' holders up to date."""

    def __init__(self, nodes: AriNodes, calls: AriCalls) -> None:
        self._nodes = nodes
        self._calls = calls
        self._queues: list[asyncio.Queue[CallEvent]] = []
        self.media = AriMedia(calls, AriRecordings(nodes), self.inject)
        #: The codec reads under way (:meth:`_read_codec`).
        self.reads = Background("answered channels' codec reads")
        #: ARI events received from every node so far (a figure for monitoring and benchmarks).
        self.received = 0

    def inject(self, event: CallEvent) -> None:
        """Report an event that no ARI event carries (the agent's side of a call ended) to every stream reader."""
        for queue in self._queues:
            queue.put_nowait(event)

    async def events(self) -> AsyncIterator[CallEvent]:
        """Every node's events, translated, as one stream (a node's own events stay in order)."""
        queue: asyncio.Queue[CallEvent] = asyncio.Queue()
        self._queues.append(queue)
        pumps = [asyncio.create_task(self._pump(c, queue), name=f"ari-events-{c.node}") for c in self._nodes.clients]
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, client: AriClient, queue: asyncio.Queue[CallEvent]) -> None:
        # Closed on leaving, cancelled or not: a stream left suspended would keep its websocket open until collected.
        async with contextlib.aclosing(client.events()) as items:
            async for item in items:
                self.received += not isinstance(item, AriConnected | AriDisconnected)
                try:
                    for event in await self.translate(client, item):
                        queue.put_nowait(event)
                except TelephonyUnavailable as error:
                    log.warning("event from %s not handled: %s", client.node, error.message)
                except MalformedEvent as error:
                    log.warning("event from %s not understood (%s); skipped", client.node, error)
                except Exception:  # one broken event must not end the node's stream, and with it every later call
                    log.exception("event from %s could not be translated", client.node)

    async def translate(self, client: AriClient, item: StreamItem) -> list[CallEvent]:
        """The domain events one ARI event (or connection change) means; may ask Asterisk about the channel."""
        if isinstance(item, AriConnected):
            log.info("Asterisk %s: event stream connected", item.node)
            self._nodes.up(client)
            self.media.node_connected(client)
            return [TelephonyReconnected(item.node)]
        if isinstance(item, AriDisconnected):
            log.warning("Asterisk %s: event stream lost; reconnecting", item.node)
            self._nodes.down(item.node)
            return []
        event = read_event(item)
        if isinstance(event, ChannelState):
            channel = event.channel
            if channel.state == "Ringing":
                return [CallRinging(channel.id, sip_call_id=channel.call_id)]
            if channel.state == "Up":
                if channel.in_application:
                    # An inbound call answered by the library: in its application, and its media agreed.
                    self._read_codec(client, channel)
                return [CallAnswered(channel.id, channel.in_application, sip_call_id=channel.call_id)]
        elif isinstance(event, DialStatus) and event.status == "PROGRESS":
            # 183 with early media: the far network reached the callee, as good as ringing for failover.
            return [CallRinging(event.peer_id, sip_call_id=event.peer_call_id)]
        elif isinstance(event, ChannelGone):
            self._calls.forget(event.channel_id)
            if self.media.channel_gone(event.channel_id):
                return []
            return [CallEnded(event.channel_id, event.cause, event.tech_cause, event.cause_txt, event.call_id)]
        elif isinstance(event, StasisStarted):
            return await self._stasis_start(client, event)
        elif isinstance(event, HangupRequested):
            self.media.hangup_requested(event.channel_id, event.cause)
        elif isinstance(event, RecordingDone):
            ended = self.media.recordings.done(event)
            return [ended] if ended is not None else []
        elif isinstance(event, ContactStatus):
            self._nodes.health.report(event)
        return []

    async def _stasis_start(self, client: AriClient, event: StasisStarted) -> list[CallEvent]:
        channel = event.channel
        if self.media.is_media_channel(channel.id):
            self.media.media_started(channel.id)
            return []
        originated = self._calls.originated(channel.id)
        self._calls.held_by(channel.id, client)
        if OUTBOUND_ARG in event.args or originated:
            # An answered outbound call entered the application: only now is it the library's (its answer, reported
            # before, is not enough: Asterisk hangs up a call answered into an application that is gone).
            if not originated:
                # Placed by an instance that is gone: its end must come here after it leaves the application.
                await self._subscribe(client, channel.id, "outbound")
            self._read_codec(client, channel)
            return [CallAnswered(channel.id, in_application=True, sip_call_id=channel.call_id)]
        quoted = AriClient.quoted(channel.id)
        source = None
        try:
            answer = await client.request("GET", f"/channels/{quoted}/variable", params={"variable": _REMOTE_ADDR})
            source = _host(str(answer.get("value", ""))) if isinstance(answer, dict) else None
        except TelephonyUnavailable as error:
            # Routed without it: the endpoint the call arrived on still identifies its trunk.
            log.warning("no source address for inbound channel %s: %s", channel.id, error.message)
        await self._subscribe(client, channel.id, "inbound")
        return [
            InboundCallArrived(
                channel_id=channel.id,
                called=channel.exten,
                source=source,
                caller=channel.caller_number,
                arrived_on_trunk_id=trunk_of_gateway_object(_endpoint_of(channel.name)),
                sip_call_id=channel.call_id,
            )
        ]

    def _read_codec(self, client: AriClient, channel: AriChannel) -> None:
        """Report the codec an answered PJSIP channel agreed (:class:`CodecAgreed`), once read from the channel.

        Read beside the event stream, never on it: a request per answered call would hold up every later event of
        the node (other calls' media among them) while Asterisk answers.
        """
        if channel.name.startswith("PJSIP/") and not self.media.is_media_channel(channel.id):
            self.reads.spawn(self._codec(client, channel.id), f"codec-{channel.id}")

    async def _codec(self, client: AriClient, channel_id: str) -> None:
        try:
            answer = await client.request(
                "GET", f"/channels/{AriClient.quoted(channel_id)}/variable", params={"variable": _NATIVE_FORMAT}
            )
        except TelephonyUnavailable as error:
            # The call goes on without it (a channel already gone answers 404).
            log.info("codec of channel %s not read: %s", channel_id, error.message)
            return
        codec = codec_of(str(answer.get("value", ""))) if isinstance(answer, dict) else None
        if codec is not None:
            self.inject(CodecAgreed(channel_id, codec))

    @staticmethod
    async def _subscribe(client: AriClient, channel_id: str, kind: str) -> None:
        """Subscribe to a channel: without it, its ChannelDestroyed is not sent once it leaves the application."""
        try:
            await client.subscribe(f"channel:{channel_id}")
        except TelephonyUnavailable as error:
            # Handled all the same: a call refused over this is worse than an execution whose end may be missed.
            log.warning("%s channel %s not subscribed: %s", kind, channel_id, error.message)
