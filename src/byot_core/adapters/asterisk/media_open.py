"""Opening one call's media channel on its node, in either protocol: the steps before the bridge.

- ``twilio``: the agent is connected to first (a refusal leaves nothing to undo), then a media channel in server mode
  (``externalMedia``, ``connection_type=server``) is made and its WebSocket connected; the relay between the two is
  the session's.
- ``asterisk``: the agent's ``websocket_client`` object is made sure of on the node, then a media channel in client
  mode carries who the call is in ``v()`` (on every call: ``v()`` parameters stick to the shared object), and
  Asterisk connects to the agent itself.

Either way the media channel's ``StasisStart`` (its WebSocket up) is waited for by the caller.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import aiohttp

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed
from byot_core.adapters.asterisk.media_session import MediaSession, agent_name, v_option, websocket_client_id, why
from byot_core.adapters.asterisk.relay import TwilioRelay
from byot_core.adapters.media.twilio import TwilioStream
from byot_core.domain.errors import MediaUnavailable

__all__ = ["AgentClients", "open_twilio"]


async def open_twilio(session: MediaSession, http: aiohttp.ClientSession) -> None:
    """Connect the agent, then a server-mode media channel and its WebSocket; the session gets their relay."""
    name = agent_name(session.target.url)
    try:
        agent = await http.ws_connect(session.target.url, heartbeat=20.0, max_msg_size=1 << 20)
    except aiohttp.WSServerHandshakeError as error:
        raise MediaUnavailable(f"agent media at {name} refused the connection (HTTP {error.status})") from error
    except (aiohttp.ClientError, OSError) as error:
        raise MediaUnavailable(f"agent media at {name} unreachable ({why(error)})") from error
    try:
        answer = await session.client.request(
            "POST",
            "/channels/externalMedia",
            params={
                "app": session.client.app,
                "transport": "websocket",
                "encapsulation": "none",
                "format": "ulaw",
                "connection_type": "server",
                "channelId": session.media_channel,
            },
        )
        connection = str(((answer or {}).get("channelvars") or {}).get("MEDIA_WEBSOCKET_CONNECTION_ID", ""))
        if not connection:
            raise MediaUnavailable("Asterisk gave the media channel no WebSocket connection id")
        url = session.client.base.replace("http", "ws", 1).removesuffix("/ari") + f"/media/{quote(connection)}"
        asterisk = await http.ws_connect(url, protocols=("media",), max_msg_size=0)
    except BaseException:
        await agent.close()
        raise
    stream = TwilioStream(session.call, f"MZ{uuid.uuid4().hex}")
    session.relay = TwilioRelay(stream, asterisk, agent, agent_name=name)


class AgentClients:
    """The agents' ``websocket_client`` objects pushed to each node, and media channels opened in client mode."""

    def __init__(self) -> None:
        self._pushed: set[tuple[str, str, str]] = set()

    def forget(self, node: str) -> None:
        """The node's event stream (re)connected: objects pushed before a restart are gone."""
        self._pushed = {k for k in self._pushed if k[0] != node}

    async def open(self, session: MediaSession) -> None:
        """Make a media channel in client mode; Asterisk then connects to the agent."""
        client, url = session.client, session.target.url
        object_id = websocket_client_id(url)
        key = (client.node, object_id, url)
        params = {
            "app": client.app,
            "transport": "websocket",
            "encapsulation": "none",
            "format": "ulaw",
            "connection_type": "client",
            "external_host": object_id,
            "transport_data": v_option(session.call.parameters()),
            "channelId": session.media_channel,
        }
        for attempt in range(2):
            if key not in self._pushed:
                await self._push(client, object_id, url)
                self._pushed.add(key)
            try:
                await client.request("POST", "/channels/externalMedia", params=params)
                return
            except AriRequestFailed as error:
                # 400 for an unknown object: the node restarted since the push, and its reconnection is not in yet.
                if error.status != 400 or attempt:
                    raise
                self._pushed.discard(key)

    @staticmethod
    async def _push(client: AriClient, object_id: str, url: str) -> None:
        """Create (or bring in step) the agent's ``websocket_client`` object on the node."""
        fields = {"type": "websocket_client", "connection_type": "per_call_config", "uri": url, "protocols": "media"}
        body = {"fields": [{"attribute": k, "value": v} for k, v in fields.items()]}
        path = f"/asterisk/config/dynamic/res_websocket_client/websocket_client/{AriClient.quoted(object_id)}"
        await client.request("PUT", path, body=body)
