"""The fake's mixing bridges and the 20 ms clock that moves audio between the two parties of each.

As recorded from Asterisk 22 (``shared/asterisk/media``): a channel not in Stasis cannot be added to a bridge (422
"Channel not in Stasis application"); audio flows between the two parties every 20 ms: a caller's voice reaches a
media WebSocket as 160-byte binary frames (only while it speaks), and what the WebSocket's queue plays is what the
caller hears (silence in between); keys the caller presses reach the bridged media channel as ``DTMF_END``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from byot_core.audio import FRAME_BYTES, FRAME_SECONDS, SILENCE, mix
from byot_core.testing.fake_asterisk.answers import AriError, now
from byot_core.testing.fake_asterisk.channels import ChannelBook
from byot_core.testing.fake_asterisk.media_socket import MediaSocket
from byot_core.testing.fake_asterisk.recorder import Recorder

__all__ = ["Bridge", "Bridges"]


@attrs.define(eq=False)
class Bridge:
    """A mixing bridge and the channels in it."""

    id: str
    name: str
    created: str
    channels: list[str] = attrs.field(factory=list)

    def json(self) -> dict[str, Any]:
        """The bridge as ARI describes it."""
        return {
            "id": self.id,
            "technology": "simple_bridge",
            "bridge_type": "mixing",
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": list(self.channels),
            "creationtime": self.created,
            "video_mode": "talker",
        }


class Bridges:
    """A node's bridges, the media WebSockets' queues by channel, and the clock that moves audio between them."""

    def __init__(self, book: ChannelBook) -> None:
        self._book = book
        self.bridges: dict[str, Bridge] = {}
        self.sockets: dict[str, MediaSocket] = {}  # by media channel id
        self.recorder = Recorder(book.hub.send)
        self._clock: asyncio.Task[None] | None = None

    def create_bridge(self, given: Mapping[str, Any]) -> Bridge:
        """``POST /ari/bridges``."""
        bid = str(given.get("bridgeId") or uuid.uuid4())
        if bid in self.bridges:
            return self.bridges[bid]
        bridge = Bridge(bid, str(given.get("name", "")), now())
        self.bridges[bid] = bridge
        self._start_clock()
        return bridge

    def bridge(self, bridge_id: str) -> Bridge:
        """A bridge, or 404."""
        found = self.bridges.get(bridge_id)
        if found is None:
            raise AriError(404, "Bridge not found")
        return found

    def add_channels(self, bridge_id: str, channel_ids: list[str]) -> None:
        """``POST /ari/bridges/{id}/addChannel``."""
        bridge = self.bridge(bridge_id)
        channels = [self._book.channels.get(c) for c in channel_ids]
        if any(c is None for c in channels):
            raise AriError(422, "Channel not found")
        if any(c is not None and not c.in_stasis for c in channels):
            raise AriError(422, "Channel not in Stasis application")
        for channel in channels:
            assert channel is not None
            if channel.id not in bridge.channels:
                bridge.channels.append(channel.id)
                self._book.channel_event(channel, "ChannelEnteredBridge", bridge=bridge.json())

    def destroy_bridge(self, bridge_id: str) -> None:
        """``DELETE /ari/bridges/{id}``: the channels in it stay, out of the bridge."""
        bridge = self.bridge(bridge_id)
        for channel_id in list(bridge.channels):
            channel = self._book.channels.get(channel_id)
            bridge.channels.remove(channel_id)
            if channel is not None:
                self._book.channel_event(channel, "ChannelLeftBridge", bridge=bridge.json())
        del self.bridges[bridge_id]
        self.recorder.bridge_gone(bridge_id)

    def record(self, bridge_id: str, query: dict[str, str]) -> dict[str, Any]:
        """``POST /ari/bridges/{id}/record``: the bridge's mix recorded until stopped (or the bridge goes)."""
        bridge = self.bridge(bridge_id)
        members = [self._book.channels[c] for c in bridge.channels if c in self._book.channels]
        apps = {c.app for c in members if c.in_stasis and c.app}
        return self.recorder.start(bridge.id, query, apps)

    # -- audio ------------------------------------------------------------------------------------------------

    def _start_clock(self) -> None:
        if self._clock is None or self._clock.done():
            self._clock = asyncio.ensure_future(self._tick_forever())

    async def _tick_forever(self) -> None:
        start = time.monotonic()
        for tick in itertools.count(1):
            self.tick()
            # Scheduled on absolute times, so the 20 ms rhythm does not drift with the work done in each tick.
            await asyncio.sleep(max(0.0, start + tick * FRAME_SECONDS - time.monotonic()))

    def tick(self) -> None:
        """Move 20 ms of audio across every bridge."""
        for bridge in list(self.bridges.values()):
            members = [self._book.channels[c] for c in bridge.channels if c in self._book.channels]
            if len(members) != 2:
                self.recorder.add(bridge.id, bytes([SILENCE]) * FRAME_BYTES)
                continue
            said = []
            for speaker, listener in ((members[0], members[1]), (members[1], members[0])):
                socket = self.sockets.get(speaker.id)
                frame = socket.play() if socket is not None else speaker.speak()
                said.append(frame if frame is not None else bytes([SILENCE]) * FRAME_BYTES)
                target = self.sockets.get(listener.id)
                if target is not None:
                    if frame is not None:
                        target.outbox.put_nowait(frame)
                else:
                    listener.heard += frame if frame is not None else bytes([SILENCE]) * FRAME_BYTES
            self.recorder.add(bridge.id, mix(said[0], said[1]))

    def press(self, channel_id: str, digits: str) -> None:
        """The caller presses keys: each digit reaches the bridged media channel as ``DTMF_END``."""
        for bridge in self.bridges.values():
            if channel_id in bridge.channels:
                for other in bridge.channels:
                    socket = self.sockets.get(other)
                    if socket is not None:
                        for digit in digits:
                            socket.outbox.put_nowait(f"DTMF_END digit:{digit} channel_id:{other}")

    async def stop_clock(self) -> None:
        """Stop moving audio (the node stops)."""
        if self._clock is not None:
            self._clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock
            self._clock = None
