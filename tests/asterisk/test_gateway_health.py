"""A gateway's health in its trunk's JSON, as the fake Asterisk's qualify reports it (``ContactStatusChange``)."""

from __future__ import annotations

from typing import Any

from byot_core.adapters.metrics import PrometheusMetrics
from byot_core.web import trunk_json
from tests.asterisk.conftest import AsteriskWorld, eventually
from tests.asterisk.test_calls import trunk_and_number
from tests.support import ACCOUNT


async def health(world: AsteriskWorld, trunk_id: str) -> list[dict[str, Any]]:
    details = await world.app.trunks.get(ACCOUNT, trunk_id)
    return [g["health"] for g in trunk_json(details)["gateways"]]


async def test_a_gateway_made_unreachable_shows_so_in_its_trunk_until_it_is_back(world: AsteriskWorld) -> None:
    """Unknown until reported; unreachable since the report; reachable again with its round trip."""
    trunk_id, _ = await trunk_and_number(world)
    metrics = PrometheusMetrics()
    metrics.watch_gateways(world.telephony.health.reports)
    aor = {"aor": f"byot-{trunk_id}-gw1"}
    unknown = {"reachability": "unknown", "roundtrip_ms": None, "since": None}
    assert await health(world, trunk_id) == [unknown] * 3
    await world.watching()
    world.nodes[0].set_contact_status(f"byot-{trunk_id}-gw1", "Unreachable")

    async def down() -> bool:
        return bool((await health(world, trunk_id))[0]["reachability"] == "unreachable")

    await eventually(down)
    first, *others = await health(world, trunk_id)
    assert first["since"] is not None
    assert first["roundtrip_ms"] is None
    assert others == [unknown] * 2
    assert metrics.registry.get_sample_value("byot_gateway_reachable", aor) == 0
    world.nodes[0].set_contact_status(f"byot-{trunk_id}-gw1", "Reachable", roundtrip_usec=12_345)

    async def back() -> bool:
        return bool((await health(world, trunk_id))[0]["reachability"] == "reachable")

    await eventually(back)
    first, *_ = await health(world, trunk_id)
    assert first["roundtrip_ms"] == 12.345
    assert first["since"] is not None
    assert metrics.registry.get_sample_value("byot_gateway_reachable", aor) == 1
    assert metrics.registry.get_sample_value("byot_gateway_roundtrip_seconds", aor) == 0.012345
