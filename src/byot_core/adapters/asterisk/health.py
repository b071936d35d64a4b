"""Gateway health from Asterisk's qualify, and the endpoint subscription that brings it.

Asterisk reports a gateway's OPTIONS results as ``ContactStatusChange`` events, but only to an application subscribed
to ``endpoint:PJSIP``. A freshly started Asterisk that has never held a PJSIP endpoint refuses that subscription
(422 "Event source does not exist") until the first endpoint is created, and a restarted node whose endpoints lived
in memory is in the same state. So the subscription is asked for when a node connects and again after every push to
a node that has not granted it yet; nothing else (the connection, inbound calls, call events, pushes) waits for it.
"""

from __future__ import annotations

import asyncio
import logging

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed
from byot_core.adapters.asterisk.ari_events import ContactStatus
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.telephony import NOT_REPORTED, GatewayStatus, Reachability
from byot_core.tasks import Background

__all__ = ["ENDPOINT_EVENTS", "GatewayHealth"]

log = logging.getLogger(__name__)

#: The event source of every PJSIP endpoint's state and contact status.
ENDPOINT_EVENTS = "endpoint:PJSIP"
# What each qualify status says of a gateway; other statuses (Unknown, Created, Updated) change nothing.
_REACHABILITY = {
    "Reachable": Reachability.REACHABLE,
    "Unreachable": Reachability.UNREACHABLE,
    "NonQualified": Reachability.UNKNOWN,
}


class GatewayHealth:
    """What Asterisk's qualify last reported of each gateway (AOR id), and which nodes send those reports.

    :meth:`watch` asks a connected node for the endpoint subscription in the background; requests that arrive while
    an attempt is in flight make it try once more, so a push that creates the first endpoint is never missed.
    """

    def __init__(self) -> None:
        self._status: dict[str, GatewayStatus] = {}
        self._watching: set[str] = set()
        self._again: set[str] = set()
        # The attempt in flight for each node: at most one, its failures logged by the one mechanism for tasks.
        self._tasks = Background("gateway health subscriptions")
        self._running: dict[str, asyncio.Task[None]] = {}

    def reachable(self, aor_id: str) -> bool:
        """False once a node reported the AOR's contact Unreachable, until one reports it back."""
        return self.status(aor_id).reachability is not Reachability.UNREACHABLE

    def reports(self) -> dict[str, GatewayStatus]:
        """Every AOR reported on, with its last report (for monitoring)."""
        return dict(self._status)

    def status(self, aor_id: str) -> GatewayStatus:
        """The AOR's last reported status (unknown when none was)."""
        return self._status.get(aor_id, NOT_REPORTED)

    @property
    def watching(self) -> frozenset[str]:
        """The nodes whose endpoint subscription is in place on their current connection."""
        return frozenset(self._watching)

    def report(self, event: ContactStatus) -> None:
        """Take a ``ContactStatusChange`` into account: ``since`` moves only when the reachability changes."""
        if event.status == "Removed":
            self._status.pop(event.aor, None)
            return
        reachability = _REACHABILITY.get(event.status)
        if reachability is None:
            return
        before = self._status.get(event.aor)
        since = before.since if before is not None and before.reachability is reachability else event.at
        roundtrip = (
            event.roundtrip_usec / 1000 if event.roundtrip_usec and reachability is Reachability.REACHABLE else None
        )
        self._status[event.aor] = GatewayStatus(reachability, roundtrip, since)

    def watch(self, client: AriClient) -> None:
        """Make sure the node's endpoint subscription is in place, or will be tried (never waits, never raises)."""
        if client.node in self._watching:
            return
        self._again.add(client.node)
        running = self._running.get(client.node)
        if running is None or running.done():
            self._running[client.node] = self._tasks.spawn(self._subscribe(client), f"ari-watch-{client.node}")

    def forget(self, node: str) -> None:
        """The node's connection was lost: its subscription must be made again on the next one."""
        self._watching.discard(node)
        self._again.discard(node)
        task = self._running.pop(node, None)
        if task is not None:
            task.cancel()

    async def close(self, within: float = 5.0) -> None:
        """Stop any attempt in flight, waiting at most ``within`` seconds."""
        self._running.clear()
        await self._tasks.cancel(within)

    async def _subscribe(self, client: AriClient) -> None:
        while client.node in self._again:
            self._again.discard(client.node)
            try:
                await client.subscribe(ENDPOINT_EVENTS)
            except AriRequestFailed as error:
                if error.status != 422:
                    log.warning("no gateway health reports from %s yet: %s", client.node, error.message)
                # 422: no PJSIP endpoint has existed on the node since it started; the next push will ask again.
                continue
            except TelephonyUnavailable as error:
                log.warning("no gateway health reports from %s yet: %s", client.node, error.message)
                continue
            self._watching.add(client.node)
            self._again.discard(client.node)
            log.info("gateway health reports from %s: subscribed to %s", client.node, ENDPOINT_EVENTS)
            return
