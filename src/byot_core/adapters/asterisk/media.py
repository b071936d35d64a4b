"""Calls connected to their agents' media over ARI: a media channel per call, bridged with the caller.

For each call, on the node that holds its channel:

1. open a media channel (:mod:`.media_open`): ``twilio`` protocol, the agent first, then a media channel in server
   mode and its WebSocket; ``asterisk`` protocol, a media channel in client mode that Asterisk connects to the agent;
2. wait for the media channel's ``StasisStart`` (it comes only once its WebSocket is up; in client mode a refused
   agent shows only as the channel destroyed, cause 3);
3. create a mixing bridge and add the caller and the media channel to it.

Anything that fails on the way is undone (media channel deleted, bridge destroyed, WebSockets closed) and reported
as ``MediaUnavailable`` naming the agent connection. When the caller's channel ends, the adapter ends the media
side itself: Asterisk tells the media WebSocket nothing (recorded). When the agent's side ends first, the stream
reports ``AgentDisconnected`` or ``AgentMediaFailed`` for the caller's channel.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

import aiohttp

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed
from byot_core.adapters.asterisk.bridges import (
    BRIDGE_GRACE,
    BRIDGE_PREFIX,
    bridge_channels,
    remove_bridge,
    sweep_bridges,
)
from byot_core.adapters.asterisk.calls import AriCalls
from byot_core.adapters.asterisk.joins import JoinedCalls
from byot_core.adapters.asterisk.media_open import AgentClients, open_twilio
from byot_core.adapters.asterisk.media_session import (
    CLIENT_PREFIX,
    MediaSession,
    agent_name,
    media_stats,
    websocket_client_id,
    why,
)
from byot_core.adapters.asterisk.recordings import AriRecordings
from byot_core.adapters.asterisk.relay import Ending
from byot_core.domain.causes import Q850
from byot_core.domain.errors import MediaUnavailable, TelephonyUnavailable
from byot_core.domain.events import AgentDisconnected, AgentMediaFailed, CallEvent, MediaEnded
from byot_core.domain.media import MediaCall, MediaProtocol, MediaTarget
from byot_core.tasks import Background

__all__ = ["BRIDGE_PREFIX", "CLIENT_PREFIX", "AriMedia", "MediaSession", "agent_name", "websocket_client_id"]

log = logging.getLogger(__name__)


class AriMedia:
    """Connects calls to agents' media and ends what it made; ``emit`` reports the agent's side ending."""

    def __init__(
        self, calls: AriCalls, recordings: AriRecordings, emit: Callable[[CallEvent], None], *, timeout: float = 5.0
    ) -> None:
        self._calls = calls
        self.recordings = recordings
        self._emit = emit
        self.timeout = timeout
        self._by_caller: dict[str, MediaSession] = {}
        self._by_media: dict[str, MediaSession] = {}
        self._started: dict[str, asyncio.Future[bool]] = {}
        self._clients = AgentClients()
        self._session: aiohttp.ClientSession | None = None
        self._tasks = Background("calls' media")
        self.joins = JoinedCalls(recordings, self._tasks)

    def _http(self) -> aiohttp.ClientSession:
        # Its own session: the ARI session sends ARI's credentials, which must never reach an agent. No limit on
        # connections: each call holds two WebSockets for its whole length (aiohttp's default would stop at 100).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout),
                connector=aiohttp.TCPConnector(limit=0),
            )
        return self._session

    async def close(self, within: float = 5.0) -> None:
        """End every relay and close the media connections, waiting at most about ``within`` seconds for them.

        What has not ended by then is cancelled, and whatever still runs after that is logged by name.
        """
        for session in list(self._by_caller.values()):
            if session.relay is not None:
                session.relay.stop()
        if await self._tasks.drain(within):
            await self._tasks.cancel(within=1.0)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- what the event stream tells -------------------------------------------------------------------------

    def is_media_channel(self, channel_id: str) -> bool:
        """Whether the channel is a media channel this adapter made (its StasisStart is not an inbound call)."""
        return channel_id in self._started or channel_id in self._by_media

    def media_started(self, channel_id: str) -> None:
        """A media channel entered the application: its WebSocket is up."""
        waiter = self._started.get(channel_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    def hangup_requested(self, channel_id: str, cause: int | None) -> None:
        """A hangup was asked for: for a media channel, cause 38 means its WebSocket dropped (the agent failed)."""
        session = self._by_media.get(channel_id)
        if session is not None and cause == Q850.NETWORK_OUT_OF_ORDER:
            session.agent_dropped = True

    def channel_gone(self, channel_id: str) -> bool:
        """A channel ended; returns whether it was a media channel (then it means nothing to executions)."""
        self.joins.gone(channel_id)
        waiter = self._started.get(channel_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(False)  # destroyed before it started: the agent could not be reached
            return True  # the connection attempt undoes the rest and reports it
        session = self._by_caller.get(channel_id)
        if session is not None:
            self._tasks.spawn(self._caller_left(session), f"media-caller-left-{channel_id}")
            return False
        session = self._by_media.pop(channel_id, None)
        if session is None:
            return waiter is not None
        if not session.ended and session.relay is None:
            # Asterisk's own connection to the agent ended (``asterisk`` protocol): hung up, or dropped.
            if session.agent_dropped:
                detail = f"agent media at {agent_name(session.target.url)} dropped the connection"
                session.figures.ending, session.figures.detail = Ending.AGENT_FAILED, detail
                self._emit(AgentMediaFailed(session.call.channel_id, detail))
            else:
                session.figures.ending = Ending.AGENT_CLOSED
                self._emit(AgentDisconnected(session.call.channel_id))
        return True

    def node_connected(self, client: AriClient) -> None:
        """A node's event stream (re)connected: forget what was pushed to it, and look for calls left behind.

        Objects pushed before a restart are gone; bridges of a process that died mid-call are swept (:meth:`sweep`).
        """
        self._clients.forget(client.node)
        self._tasks.spawn(self._sweep_quietly(client), f"media-sweep-{client.node}")

    async def _sweep_quietly(self, client: AriClient) -> None:
        try:
            await self.sweep(client)
        except TelephonyUnavailable as error:
            log.warning("Asterisk %s: bridges left behind not looked for: %s", client.node, error.message)

    async def sweep(self, client: AriClient, *, older_than: float = BRIDGE_GRACE) -> int:
        """End the calls that lost their media (see :func:`~.bridges.sweep_bridges`); how many bridges were removed.

        Bridges of calls this process carries are never taken for ones left behind.
        """
        mine = {session.bridge_id for session in self._by_media.values()}
        return await sweep_bridges(client, mine, older_than=older_than)

    # -- connecting -------------------------------------------------------------------------------------------

    async def connect(self, call: MediaCall, target: MediaTarget, within: float) -> None:
        """Connect the call to the agent; raises ``MediaUnavailable`` with nothing left behind."""
        client = self._calls.holder(call.channel_id)
        if client is None:
            raise MediaUnavailable(f"no Asterisk node holds call {call.channel_id}")
        # The execution's id first, then '_': Bolna's handlers take their call id from the part of MEDIA_START's
        # channel_id before the first '_', so they see the execution; the rest keeps each media channel unique.
        media_channel = f"{call.execution_id}_byot-media-{uuid.uuid4().hex[:16]}"
        session = MediaSession(call, target, client, media_channel, f"{BRIDGE_PREFIX}{uuid.uuid4().hex}")
        self._started[media_channel] = asyncio.get_running_loop().create_future()
        self._by_media[media_channel] = session
        try:
            async with asyncio.timeout(within):
                if target.protocol is MediaProtocol.TWILIO:
                    await self._connect_twilio(session)
                else:
                    await self._connect_asterisk(session)
                await self._bridge(session)
        except (MediaUnavailable, TimeoutError, TelephonyUnavailable, aiohttp.ClientError, OSError) as error:
            session.figures.ending = Ending.NOT_CONNECTED
            await self._undo(session)
            if isinstance(error, MediaUnavailable):
                raise
            reason = "timed out" if isinstance(error, TimeoutError) else why(error)
            raise MediaUnavailable(f"agent media at {agent_name(target.url)} not connected: {reason}") from error
        finally:
            self._started.pop(media_channel, None)
        self._by_caller[call.channel_id] = session
        if session.relay is not None:
            session.task = self._tasks.spawn(self._relay(session), f"relay-{call.channel_id}")

    async def _connect_twilio(self, session: MediaSession) -> None:
        await open_twilio(session, self._http())
        await self._wait_started(session)

    async def _connect_asterisk(self, session: MediaSession) -> None:
        await self._clients.open(session)
        await self._wait_started(session)

    async def _wait_started(self, session: MediaSession) -> None:
        if not await self._started[session.media_channel]:
            raise MediaUnavailable(f"agent media at {agent_name(session.target.url)} refused or unreachable")

    async def _bridge(self, session: MediaSession) -> None:
        channels = [session.call.channel_id, session.media_channel]
        await bridge_channels(session.client, session.bridge_id, channels, create=True)
        if session.relay is not None:
            await session.relay.begin()

    # -- transfers --------------------------------------------------------------------------------------------

    async def join(self, caller: str, target: str) -> None:
        """Bridge a transfer's answered target with its caller, then release the agent (``stop``, then close).

        The target joins the caller's bridge first, so the caller is never left alone if that fails
        (``TelephonyUnavailable``, nothing changed). A call with no media of its own gets a bridge of its own.
        """
        session = self._by_caller.get(caller)
        client = session.client if session is not None else self._calls.holder(caller)
        if client is None:
            raise TelephonyUnavailable(f"no Asterisk node holds call {caller}")
        bridge_id = session.bridge_id if session is not None else f"{BRIDGE_PREFIX}{uuid.uuid4().hex}"
        await self.joins.join(client, bridge_id, caller, target, create=session is None)
        if session is not None:
            session.transferred = True
            await self._release(session)

    async def _release(self, session: MediaSession) -> None:
        """The agent's side of a transferred call ends as at a hang-up; the bridge stays for the caller and target."""
        if session.relay is not None:
            session.relay.stop(Ending.TRANSFERRED)
        else:
            session.figures.ending = Ending.TRANSFERRED
            await self._undo(session)

    async def record(self, caller: str, name: str) -> None:
        """Record the call's bridge (its agent's, or a transfer's); raises ``TelephonyUnavailable`` without one."""
        session = self._by_caller.get(caller)
        found = (session.client, session.bridge_id) if session is not None else self.joins.bridge_of(caller)
        if found is None:
            raise TelephonyUnavailable(f"call {caller} has no bridge to record (its media is not the library's)")
        await self.recordings.start(found[0], found[1], caller, name)

    # -- running and ending -----------------------------------------------------------------------------------

    async def _relay(self, session: MediaSession) -> None:
        assert session.relay is not None
        figures = await session.relay.run()
        session.figures = figures
        caller = session.call.channel_id
        if figures.ending is Ending.AGENT_CLOSED:
            self._emit(AgentDisconnected(caller))
        elif figures.ending is Ending.AGENT_FAILED:
            self._emit(AgentMediaFailed(caller, figures.detail))
        elif figures.ending is Ending.ASTERISK_CLOSED and caller in self._by_caller:
            self._emit(AgentMediaFailed(caller, "Asterisk closed the media WebSocket"))
        await self._undo(session)

    async def _caller_left(self, session: MediaSession) -> None:
        if session.relay is not None:
            session.relay.stop()
            if session.task is not None:
                await asyncio.gather(session.task, return_exceptions=True)
        else:
            session.figures.ending = session.figures.ending or Ending.CALLER_LEFT
            await self._undo(session)

    async def _undo(self, session: MediaSession) -> None:
        """Delete what the call's media left in Asterisk; each step is tried whatever happened before."""
        if session.ended:
            return
        session.ended = True
        self._by_caller.pop(session.call.channel_id, None)
        if session.relay is not None and session.task is None:
            await session.relay.close()
        client = session.client
        try:
            await client.request("DELETE", f"/channels/{AriClient.quoted(session.media_channel)}")
        except (AriRequestFailed, TelephonyUnavailable):
            # Gone already (or its node is): no ChannelDestroyed is coming to forget it by.
            self._by_media.pop(session.media_channel, None)
        if not session.transferred:
            await self.recordings.stop_on(session.bridge_id)
            await remove_bridge(client, session.bridge_id)
        self._emit(MediaEnded(session.call.channel_id, media_stats(session)))

    @property
    def active(self) -> int:
        """Calls whose media is connected now."""
        return len(self._by_caller)
