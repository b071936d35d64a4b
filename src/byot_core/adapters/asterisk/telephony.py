"""The telephony port on Asterisk over ARI: a thin front over the adapter's parts, one job each.

- :mod:`.config`: trunks' PJSIP objects pushed to every node and compared before they are written;
- :mod:`.calls`: attempts originated, channels answered and hung up on the node that holds them;
- :mod:`.media`: answered calls bridged with a media channel to their agent (:mod:`.relay` for Twilio's protocol);
- :mod:`.stream`: every node's ARI events, read into typed records (:mod:`.ari_events`) and translated;
- :mod:`.health` and :mod:`.nodes`: which nodes are connected, and which gateways their qualify reports down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime

from byot_core.adapters.asterisk.ari import AriClient, StreamItem
from byot_core.adapters.asterisk.ari_events import ari_time
from byot_core.adapters.asterisk.calls import OUTBOUND_ARG, AriCalls
from byot_core.adapters.asterisk.config import AriConfiguration
from byot_core.adapters.asterisk.health import GatewayHealth
from byot_core.adapters.asterisk.media import AriMedia
from byot_core.adapters.asterisk.nodes import AriNodes
from byot_core.adapters.asterisk.pjsip import gateway_object_ids
from byot_core.adapters.asterisk.stream import AriEventStream
from byot_core.domain.causes import Q850
from byot_core.domain.events import CallEvent
from byot_core.domain.media import MediaCall, MediaTarget
from byot_core.domain.telephony import ChannelNow, GatewayStatus, OriginateRequest, TrunkConfig
from byot_core.domain.trunk import Trunk

__all__ = ["OUTBOUND_ARG", "AriTelephony"]


class AriTelephony:
    """Telephony on one or more Asterisk nodes, each reached through an :class:`AriClient` for the same app."""

    def __init__(self, clients: Sequence[AriClient]) -> None:
        self.nodes = AriNodes(clients)
        self.configuration = AriConfiguration(self.nodes)
        self.calls = AriCalls(self.nodes)
        self.stream = AriEventStream(self.nodes, self.calls)

    @property
    def clients(self) -> tuple[AriClient, ...]:
        """One client per node."""
        return self.nodes.clients

    @property
    def health(self) -> GatewayHealth:
        """Gateway health as the nodes report it."""
        return self.nodes.health

    @property
    def connected_nodes(self) -> frozenset[str]:
        """The nodes whose event websocket is up now."""
        return self.nodes.connected

    def readiness(self) -> Sequence[str]:
        """Each node whose event stream is not connected now (its calls cannot reach the application)."""
        connected = self.nodes.connected
        return [
            f"Asterisk {client.node}: the ARI event stream is not connected"
            for client in self.clients
            if client.node not in connected
        ]

    @property
    def events_received(self) -> int:
        """ARI events received from every node so far (a figure for monitoring and benchmarks)."""
        return self.stream.received

    @property
    def media(self) -> AriMedia:
        """Calls' media connections to their agents."""
        return self.stream.media

    async def close(self) -> None:
        """Stop background work, end every call's media relay, and close every node's HTTP session."""
        await self.stream.media.close()
        await self.stream.reads.cancel(within=1.0)
        await self.nodes.close()

    async def apply_trunk(self, config: TrunkConfig, *, thorough: bool = True) -> int:
        """Bring every node in step with the trunk (see :meth:`AriConfiguration.apply_trunk`)."""
        return await self.configuration.apply_trunk(config, thorough=thorough)

    async def remove_trunk(self, trunk_id: str) -> int:
        """Delete the trunk's objects from every node."""
        return await self.configuration.remove_trunk(trunk_id)

    async def configured_trunks(self) -> frozenset[str]:
        """The trunks with a gateway endpoint on any reachable node."""
        return await self.configuration.configured_trunks()

    def unreachable_gateways(self, trunk: Trunk) -> frozenset[str]:
        """The trunk's gateways a node reported Unreachable (qualify), until one reports them Reachable again."""
        return frozenset(g for g, aor in gateway_object_ids(trunk).items() if not self.health.reachable(aor))

    def gateway_status(self, trunk: Trunk) -> Mapping[str, GatewayStatus]:
        """Each of the trunk's gateways as the nodes' qualify last reported it (by gateway id)."""
        return {g: self.health.status(aor) for g, aor in gateway_object_ids(trunk).items()}

    async def originate(self, request: OriginateRequest) -> None:
        """Dial through the gateway's endpoint on the first node that takes the request."""
        await self.calls.originate(request)

    async def answer(self, channel_id: str) -> None:
        """Answer an inbound channel."""
        await self.calls.answer(channel_id)

    async def hang_up(self, channel_id: str, q850_cause: int = Q850.NORMAL_CLEARING) -> None:
        """End the channel with a Q.850 cause."""
        await self.calls.hang_up(channel_id, q850_cause)

    async def send_dtmf(self, channel_id: str, digits: str) -> None:
        """Play DTMF to the channel's far end (see :meth:`AriCalls.send_dtmf`)."""
        await self.calls.send_dtmf(channel_id, digits)

    async def join(self, caller_channel_id: str, target_channel_id: str) -> None:
        """Put a transfer through on the node holding the caller (see :meth:`AriMedia.join`)."""
        await self.media.join(caller_channel_id, target_channel_id)

    async def refer(self, channel_id: str, refer_to: str) -> None:
        """Send a REFER on the channel (see :meth:`AriCalls.refer`)."""
        await self.calls.refer(channel_id, refer_to)

    async def start_recording(self, channel_id: str, name: str) -> None:
        """Record the call's bridge (see :mod:`.recordings`)."""
        await self.media.record(channel_id, name)

    async def recording_file(self, name: str) -> bytes:
        """A finished recording's WAV file."""
        return await self.media.recordings.file(name)

    async def delete_recording(self, name: str) -> None:
        """Delete a finished recording from Asterisk."""
        await self.media.recordings.delete(name)

    async def follow(self, channel_id: str) -> ChannelNow:
        """Take over a channel another instance followed (see :meth:`AriCalls.follow`)."""
        return await self.calls.follow(channel_id)

    async def sweep_orphans(self) -> int:
        """Sweep every connected node for bridges a stopped process left behind (see :meth:`AriMedia.sweep`)."""
        swept = 0
        for client in self.nodes.clients:
            if client.node in self.nodes.connected:
                swept += await self.stream.media.sweep(client)
        return swept

    async def waiting_inbound(self, older_than: float) -> Sequence[str]:
        """Channels in Stasis still ringing (``Ring``) for longer than ``older_than`` seconds, on connected nodes.

        The library's own channels are left out: the attempts it originated and its media channels.
        """
        now = datetime.now(UTC)
        waiting: list[str] = []
        for client in self.nodes.clients:
            if client.node not in self.nodes.connected:
                continue
            listed = await client.request("GET", "/channels")
            for channel in listed if isinstance(listed, list) else []:
                channel_id = str(channel.get("id", ""))
                dialplan = channel.get("dialplan") or {}
                if channel.get("state") != "Ring" or dialplan.get("app_name") != "Stasis":
                    continue
                if self.calls.originated(channel_id) or self.media.is_media_channel(channel_id):
                    continue
                created = ari_time(str(channel.get("creationtime", "")))
                if created is not None and (now - created).total_seconds() >= older_than:
                    waiting.append(channel_id)
        return waiting

    async def connect_media(self, call: MediaCall, target: MediaTarget, *, within: float) -> None:
        """Connect the call to its agent's media (see :mod:`.media`)."""
        await self.stream.media.connect(call, target, within)

    def events(self) -> AsyncIterator[CallEvent]:
        """Every node's events, translated, as one stream."""
        return self.stream.events()

    async def translate(self, client: AriClient, item: StreamItem) -> list[CallEvent]:
        """The domain events one ARI event (or connection change) means (see :meth:`AriEventStream.translate`)."""
        return await self.stream.translate(client, item)
