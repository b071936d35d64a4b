"""A trunk's gateways' health in the library's view and the trunk's JSON (fake telephony, every storage)."""

from __future__ import annotations

from byot_core.adapters.asterisk.ari_events import ContactStatus, read_event
from byot_core.adapters.asterisk.health import GatewayHealth
from byot_core.domain.telephony import Reachability
from byot_core.guide_api import GuideApi
from byot_core.web import trunk_json
from tests.support import ACCOUNT, USERPASS_TRUNK, World, body

TWO = [{"gateway_address": "gw1.example.com", "priority": 1}, {"gateway_address": "gw2.example.com", "priority": 2}]


async def test_reports_show_per_gateway_and_since_moves_only_on_a_change(world: World) -> None:
    """The library's view (``gateway_status``) and the JSON agree; a second report of the same state keeps ``since``."""
    trunk = (await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, gateways=TWO))).trunk
    first, second = trunk.gateways
    world.telephony.set_reachable(trunk.id, first.id, reachable=False)
    details = await world.app.trunks.get(ACCOUNT, trunk.id)
    down = details.gateway_status[first.id]
    assert (down.reachability, details.gateway_status[second.id].reachability) == (
        Reachability.UNREACHABLE, Reachability.UNKNOWN,
    )  # fmt: skip
    world.telephony.set_reachable(trunk.id, first.id, reachable=False)
    assert (await world.app.trunks.get(ACCOUNT, trunk.id)).gateway_status[first.id].since == down.since
    world.telephony.set_reachable(trunk.id, first.id, reachable=True, roundtrip_ms=3.5)
    written = trunk_json(await world.app.trunks.get(ACCOUNT, trunk.id))["gateways"]
    assert written[0]["health"]["reachability"] == "reachable"
    assert written[0]["health"]["roundtrip_ms"] == 3.5
    assert written[1]["health"] == {"reachability": "unknown", "roundtrip_ms": None, "since": None}


def test_asterisks_contact_status_reads_with_its_round_trip_and_time() -> None:
    """ARI sends the round trip as text in microseconds; an unreachable contact's 0 is no measurement."""
    raw = {
        "type": "ContactStatusChange",
        "timestamp": "2026-12-05T22:00:00.123+0000",
        "contact_info": {
            "uri": "sip:203.0.113.1:5060",
            "contact_status": "Reachable",
            "aor": "a",
            "roundtrip_usec": "2500",
        },
    }
    event = read_event(raw)
    assert isinstance(event, ContactStatus)
    assert (event.roundtrip_usec, event.at is not None and event.at.isoformat()) == (
        2500,
        "2026-12-05T22:00:00.123000+00:00",
    )
    health = GatewayHealth()
    health.report(event)
    assert (health.status("a").reachability, health.status("a").roundtrip_ms) == (Reachability.REACHABLE, 2.5)
    health.report(ContactStatus("a", "Unknown"))  # says nothing of reachability: the report stands
    assert health.status("a").reachability is Reachability.REACHABLE
    health.report(ContactStatus("a", "Removed"))
    assert health.status("a").reachability is Reachability.UNKNOWN
