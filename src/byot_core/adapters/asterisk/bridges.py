"""Bridges left behind by a process that died mid-call, found and removed when a node's event stream connects.

A process that dies mid-call leaves its bridge in Asterisk; its media WebSocket dropped with it, so the caller sits
alone in the bridge, hearing nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed
from byot_core.adapters.asterisk.ari_events import ari_time
from byot_core.domain.causes import Q850
from byot_core.domain.errors import TelephonyUnavailable

__all__ = ["BRIDGE_GRACE", "BRIDGE_PREFIX", "bridge_channels", "remove_bridge", "sweep_bridges"]

log = logging.getLogger(__name__)

#: The prefix of every bridge the adapter makes.
BRIDGE_PREFIX = "byot-bridge-"
#: How old a bridge must be before a sweep may take it for one left behind (a call's media connects well within it).
BRIDGE_GRACE = 30.0


async def bridge_channels(client: AriClient, bridge_id: str, channels: Sequence[str], *, create: bool) -> None:
    """Put the channels in the mixing bridge, made first when ``create`` (and removed again if they cannot join)."""
    if create:
        await client.request("POST", "/bridges", body={"type": "mixing", "bridgeId": bridge_id})
    try:
        params = {"channel": ",".join(channels)}
        await client.request("POST", f"/bridges/{AriClient.quoted(bridge_id)}/addChannel", params=params)
    except (AriRequestFailed, TelephonyUnavailable):
        if create:
            await remove_bridge(client, bridge_id)
        raise


async def remove_bridge(client: AriClient, bridge_id: str) -> None:
    """Destroy the bridge (the channels in it stay); one already gone, or a node that cannot be asked, is let be."""
    with contextlib.suppress(AriRequestFailed, TelephonyUnavailable):
        await client.request("DELETE", f"/bridges/{AriClient.quoted(bridge_id)}")


async def sweep_bridges(client: AriClient, in_use: Collection[str], *, older_than: float = BRIDGE_GRACE) -> int:
    """End the calls that lost their media: the library's bridges holding fewer than two channels.

    Such callers are hung up (cause 41) and the bridges destroyed. A bridge in ``in_use`` (this process's calls), or
    younger than ``older_than`` seconds, is left alone: it may be one being set up right now, by this process or
    another. Returns how many bridges were removed.
    """
    listed = await client.request("GET", "/bridges")
    now = datetime.now(UTC)
    removed = 0
    for bridge in listed if isinstance(listed, list) else []:
        bridge_id = str(bridge.get("id", ""))
        channels = [str(c) for c in bridge.get("channels", [])]
        if not bridge_id.startswith(BRIDGE_PREFIX) or len(channels) >= 2 or bridge_id in in_use:
            continue
        created = ari_time(str(bridge.get("creationtime", "")))
        if created is None or (now - created).total_seconds() < older_than:
            continue
        for channel in channels:
            with contextlib.suppress(AriRequestFailed):
                params = {"reason_code": str(int(Q850.NORMAL_TEMPORARY_FAILURE))}
                await client.request("DELETE", f"/channels/{AriClient.quoted(channel)}", params=params)
        await remove_bridge(client, bridge_id)
        log.warning("Asterisk %s: removed bridge %s left behind with %d channel(s)", client.node, bridge_id,
                    len(channels))  # fmt: skip
        removed += 1
    return removed
