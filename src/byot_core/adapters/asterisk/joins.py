"""Transferred calls over ARI: the caller and the target joined in one bridge, removed once either of them ends.

The bridge is the caller's own (the one its agent's media was in, so a recording of it goes on), or one made for a
call whose media is not the library's. When one side ends, the bridge's recording is stopped and the bridge removed;
the call's flow hangs the other side up.
"""

from __future__ import annotations

from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.bridges import bridge_channels, remove_bridge
from byot_core.adapters.asterisk.recordings import AriRecordings
from byot_core.tasks import Background

__all__ = ["JoinedCalls"]


class JoinedCalls:
    """Each joined channel → the node and the bridge joining it with the other side."""

    def __init__(self, recordings: AriRecordings, tasks: Background) -> None:
        self._recordings = recordings
        self._tasks = tasks
        self._joined: dict[str, tuple[AriClient, str]] = {}

    def bridge_of(self, channel_id: str) -> tuple[AriClient, str] | None:
        """The node and bridge a joined channel is in."""
        return self._joined.get(channel_id)

    async def join(self, client: AriClient, bridge_id: str, caller: str, target: str, *, create: bool) -> None:
        """Put the target (and, in a bridge made here, the caller) in the bridge; raises as ARI refuses."""
        await bridge_channels(client, bridge_id, [caller, target] if create else [target], create=create)
        self._joined[caller] = self._joined[target] = (client, bridge_id)

    def gone(self, channel_id: str) -> None:
        """A channel ended: if it was joined, its bridge goes (in the background)."""
        joined = self._joined.pop(channel_id, None)
        if joined is not None:
            self._tasks.spawn(self._unjoin(*joined), f"transfer-bridge-{channel_id}")

    async def _unjoin(self, client: AriClient, bridge_id: str) -> None:
        for channel, (_, joined_bridge) in list(self._joined.items()):
            if joined_bridge == bridge_id:
                del self._joined[channel]
        await self._recordings.stop_on(bridge_id)
        await remove_bridge(client, bridge_id)
