"""Monitoring over the fake Asterisk: readiness follows each node's event stream; ARI requests are timed."""

from __future__ import annotations

import contextlib

from byot_core.adapters.metrics import PrometheusMetrics
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.guide_api import GuideApi
from tests.asterisk.conftest import asterisk_world, eventually
from tests.support import ACCOUNT, IP_TRUNK


async def test_a_stopped_node_makes_the_instance_not_ready_until_it_returns() -> None:
    """The stopped node is named; the other node alone does not make the instance ready."""
    async with asterisk_world(2) as world:
        assert (await world.app.health.ready()).ready
        stopped = world.nodes[1]
        name = world.telephony.clients[1].node
        await stopped.stop()

        async def not_ready() -> bool:
            return (await world.app.health.ready()).problems == (
                f"Asterisk {name}: the ARI event stream is not connected",
            )

        await eventually(not_ready, within=3.0)
        await stopped.start()

        async def ready() -> bool:
            return (await world.app.health.ready()).ready

        await eventually(ready, within=5.0)


async def test_ari_requests_are_timed_by_node_method_and_outcome() -> None:
    """A push reads (404 for objects not there yet) and writes (200); a stopped node's requests are unreachable."""
    metrics = PrometheusMetrics()
    async with asterisk_world() as world:
        client = world.telephony.clients[0]
        client.observer = metrics.telephony_request
        await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)

        def count(method: str, outcome: str) -> float:
            labels = {"node": client.node, "method": method, "outcome": outcome}
            return metrics.registry.get_sample_value("byot_ari_request_seconds_count", labels) or 0.0

        assert count("PUT", "2xx") >= 3  # auth-less trunk: at least an AOR, an endpoint and an identify
        assert count("GET", "4xx") >= 1
        await world.nodes[0].stop()
        with contextlib.suppress(TelephonyUnavailable):
            await client.request("GET", "/asterisk/info")
        assert count("GET", "unreachable") == 1
