"""Call control over ARI: originate attempts, answer and hang up channels, remembering which node holds each.

An attempt is originated into the dialplan's ``byot-outbound`` context (:mod:`.extensions`), so that once answered it
enters this instance's application, or the next connected one if this instance is gone: Asterisk hangs up an answered
call originated into an application that is gone (observed). Asterisk subscribes no application to a channel
originated into the dialplan; its events come from the endpoint subscription instead (Asterisk forwards a channel's
events to its endpoint's subscribers from the channel's creation: ``main/channel.c``, ``res/stasis/app.c``), made
before dialling when gateway health has not made it for the node yet. A node whose dialplan lacks the context (an
originate naming its label answers 404) gets the attempt originated into this application, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed, AriUnreachable, unless_missing
from byot_core.adapters.asterisk.extensions import (
    APP_VARIABLE,
    OUTBOUND_ARG,
    OUTBOUND_CONTEXT,
    OUTBOUND_LABEL,
)
from byot_core.adapters.asterisk.nodes import AriNodes
from byot_core.adapters.asterisk.pjsip import gateway_object_ids
from byot_core.domain.causes import Q850
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.telephony import ChannelNow, OriginateRequest

__all__ = ["OUTBOUND_ARG", "AriCalls"]

log = logging.getLogger(__name__)


class AriCalls:
    """Places and ends calls.

    An attempt goes to a connected node, taking turns; a channel's later requests go to the node that holds it.
    """

    def __init__(self, nodes: AriNodes) -> None:
        self._nodes = nodes
        self._holders: dict[str, AriClient] = {}
        # Channels this process originated: their StasisStart is an answer, never an inbound call.
        self._originated: set[str] = set()
        # Nodes already said to lack the outbound context (said once; each attempt still tries it first).
        self._without_dialplan: set[str] = set()

    def originated(self, channel_id: str) -> bool:
        """Whether this process originated the channel."""
        return channel_id in self._originated

    def holder(self, channel_id: str) -> AriClient | None:
        """The node holding the channel, if known."""
        return self._holders.get(channel_id)

    def held_by(self, channel_id: str, client: AriClient) -> None:
        """Remember the node holding a channel that arrived there (an inbound call)."""
        self._holders[channel_id] = client

    def forget(self, channel_id: str) -> None:
        """The channel is gone (or was never made): drop what was kept about it."""
        self._holders.pop(channel_id, None)
        self._originated.discard(channel_id)

    async def originate(self, request: OriginateRequest) -> None:
        """Dial through the gateway's endpoint on the first node that takes the request (the one holding ``beside``)."""
        endpoint = gateway_object_ids(request.trunk)[request.gateway.id]
        body = {
            "endpoint": f"PJSIP/{request.dialled}@{endpoint}",
            "callerId": request.caller_id,
            "timeout": request.timeout_seconds,
            "channelId": request.channel_id,
        }
        last: TelephonyUnavailable | None = None
        beside = self._holders.get(request.beside) if request.beside is not None else None
        if request.beside is not None and beside is None:
            raise TelephonyUnavailable(f"no Asterisk node holds call {request.beside}")
        for client in [beside] if beside is not None else self._nodes.in_turn():
            # Recorded before the request: the channel's first events can arrive before its answer.
            self._holders[request.channel_id] = client
            self._originated.add(request.channel_id)
            try:
                await self._dial(client, endpoint, body)
            except AriUnreachable as error:
                if error.maybe_sent and await self._placed(client, request.channel_id):
                    return  # the answer was lost, not the call
                self.forget(request.channel_id)
                last = error
                continue  # never reached Asterisk, or Asterisk says no such channel: another node may take it
            except TelephonyUnavailable:
                self.forget(request.channel_id)
                raise  # the node answered: another node would refuse the same way
            return
        assert last is not None
        raise last

    async def _dial(self, client: AriClient, endpoint: str, body: Mapping[str, object]) -> None:
        """Originate into the outbound dialplan when the node has it and its events will come, else into the app."""
        if await self._hears(client, endpoint):
            into_dialplan = {
                "context": OUTBOUND_CONTEXT,
                "extension": "s",
                "label": OUTBOUND_LABEL,
                "variables": {APP_VARIABLE: client.app},
            }
            try:
                await client.request("POST", "/channels", body={**body, **into_dialplan})
                return
            except AriRequestFailed as failed:
                if failed.status != 404 or "label" not in failed.detail:
                    raise
                if client.node not in self._without_dialplan:
                    self._without_dialplan.add(client.node)
                    log.warning(
                        "Asterisk %s has no %s context (load `byot asterisk dialplan`): outbound calls are placed "
                        "into this instance's application, and one answered after this instance stops is dropped",
                        client.node,
                        OUTBOUND_CONTEXT,
                    )
        await client.request("POST", "/channels", body={**body, "app": client.app, "appArgs": OUTBOUND_ARG})

    async def _hears(self, client: AriClient, endpoint: str) -> bool:
        """Whether this application gets the events of channels on the endpoint, subscribing it if need be."""
        if client.node in self._nodes.health.watching:
            return True  # endpoint:PJSIP brings every PJSIP channel's events
        try:
            await client.subscribe(f"endpoint:PJSIP/{endpoint}")
        except AriRequestFailed as failed:
            log.warning("%s: no events of %s (%s); dialling into the application", client.node, endpoint, failed)
            return False
        return True

    @staticmethod
    async def _placed(client: AriClient, channel_id: str) -> bool:
        """Whether a request that may have reached Asterisk created the channel (we chose its id, so we can ask).

        When even that cannot be told, it raises: trying another node could ring the callee twice.
        """
        found, _ = await unless_missing(client, "GET", f"/channels/{AriClient.quoted(channel_id)}")
        return found

    async def follow(self, channel_id: str) -> ChannelNow:
        """Subscribe this application to a channel on whichever node holds it, then say what it does now.

        Subscribed first, so that no event falls between the look and the subscription. A node refusing the
        subscription (422, or 404) does not hold the channel; when none holds it, it is ``GONE``, unless a node could
        not be asked (``TelephonyUnavailable``: it may hold it).
        """
        quoted = AriClient.quoted(channel_id)
        unanswered: TelephonyUnavailable | None = None
        for client in self._nodes.clients:
            try:
                await client.subscribe(f"channel:{channel_id}")
                found = await client.request("GET", f"/channels/{quoted}")
            except AriRequestFailed as failed:
                if failed.status not in (404, 422):
                    raise
                continue
            except AriUnreachable as error:
                unanswered = error
                continue
            self._holders[channel_id] = client
            state = found.get("state") if isinstance(found, dict) else None
            if state == "Up":
                return ChannelNow.ANSWERED
            return ChannelNow.RINGING if state == "Ringing" else ChannelNow.STARTING
        if unanswered is not None:
            raise unanswered
        return ChannelNow.GONE

    async def answer(self, channel_id: str) -> None:
        """Answer an inbound channel (it rings until the application answers it)."""
        await self._on_holder(channel_id, "POST", f"/channels/{AriClient.quoted(channel_id)}/answer")

    async def hang_up(self, channel_id: str, q850_cause: int = Q850.NORMAL_CLEARING) -> None:
        """End the channel with a Q.850 cause (an unanswered inbound call is refused: 21 answers the carrier 403)."""
        path = f"/channels/{AriClient.quoted(channel_id)}"
        await self._on_holder(channel_id, "DELETE", path, {"reason_code": str(int(q850_cause))}, missing_ok=True)

    async def send_dtmf(self, channel_id: str, digits: str) -> None:
        """Play DTMF to the channel's far end (ARI ``POST /channels/{id}/dtmf``; PJSIP sends RFC 4733 events)."""
        await self._on_holder(channel_id, "POST", f"/channels/{AriClient.quoted(channel_id)}/dtmf", {"dtmf": digits})

    async def refer(self, channel_id: str, refer_to: str) -> None:
        """Transfer the channel's far end to ``refer_to`` (ARI ``POST /channels/{id}/redirect``).

        PJSIP sends a REFER with ``refer_to`` as its Refer-To once the channel is answered (a 302 while it rings);
        the NOTIFYs that follow stay inside Asterisk (``channels/chan_pjsip.c``), so what ARI shows is the carrier
        ending the channel once it has taken the call over.
        """
        path = f"/channels/{AriClient.quoted(channel_id)}/redirect"
        await self._on_holder(channel_id, "POST", path, {"endpoint": f"PJSIP/{refer_to}"})

    async def _on_holder(
        self, channel_id: str, method: str, path: str, params: dict[str, str] | None = None, *, missing_ok: bool = False
    ) -> None:
        holder = self._holders.get(channel_id)
        error: TelephonyUnavailable | None = None
        for client in [holder] if holder is not None else list(self._nodes.clients):
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
