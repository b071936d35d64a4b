"""Inbound routing decisions and their explanations."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from byot_core.domain.routing import (
    InboundCall,
    Rejection,
    RejectReason,
    Route,
    RouteCandidate,
    allowed_sources,
    route_inbound,
)
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import AuthType, TrunkSettings
from byot_core.testing import sample_number, sample_trunk


def candidate(**trunk_changes: Any) -> RouteCandidate:
    changes: dict[str, Any] = {"settings": TrunkSettings(inbound_enabled=True), **trunk_changes}
    trunk = attrs.evolve(sample_trunk("t1"), **changes)
    number = attrs.evolve(sample_number("n1", trunk), agent_id="agent-1")
    return RouteCandidate(number, trunk, allowed_sources(trunk))


def test_mapped_number_routes_to_its_agent() -> None:
    """A mapped number on an active, inbound-enabled trunk, from an allowed source, reaches its agent."""
    decision = route_inbound(InboundCall("+919876543210", "198.51.100.9"), [candidate()])
    assert isinstance(decision, Route)
    assert decision.agent_id == "agent-1"
    assert "[ok] mapped to an agent: agent agent-1" in decision.explain()


@pytest.mark.parametrize(
    ("changes", "number_changes", "source", "reason"),
    [
        ({"is_active": False}, {}, "198.51.100.9", RejectReason.TRUNK_INACTIVE),
        ({"settings": TrunkSettings(inbound_enabled=False)}, {}, "198.51.100.9", RejectReason.INBOUND_DISABLED),
        ({}, {}, "192.0.2.1", RejectReason.SOURCE_NOT_ALLOWED),
        ({}, {}, None, RejectReason.SOURCE_NOT_ALLOWED),
        ({}, {"agent_id": None}, "198.51.100.9", RejectReason.NUMBER_NOT_MAPPED),
        ({}, {"is_active": False}, "198.51.100.9", RejectReason.NUMBER_INACTIVE),
    ],
)
def test_rejections_name_their_reason(
    changes: dict[str, Any], number_changes: dict[str, Any], source: str | None, reason: RejectReason
) -> None:
    """Each failed rule rejects with its own reason, SIP response and Q.850 cause, and says so."""
    base = candidate(**changes)
    found = attrs.evolve(base, number=attrs.evolve(base.number, **number_changes))
    decision = route_inbound(InboundCall("919876543210", source), [found])
    assert isinstance(decision, Rejection)
    assert decision.reason is reason
    assert (decision.sip_code, decision.q850_cause) == (reason.sip_code, reason.q850_cause)
    assert "[FAIL]" in decision.explain().splitlines()[-1]


def test_unknown_number() -> None:
    """No candidate: unknown number, 404 / unallocated."""
    decision = route_inbound(InboundCall("+15550000000"), [])
    assert isinstance(decision, Rejection)
    assert (decision.reason, decision.sip_code, decision.q850_cause) == (RejectReason.UNKNOWN_NUMBER, 404, 1)


def test_source_check_applies_only_to_ip_based_trunks() -> None:
    """A userpass trunk takes calls from any source (the carrier authenticates us, not the reverse)."""
    decision = route_inbound(InboundCall("919876543210", "192.0.2.1"), [candidate(auth_type=AuthType.USERPASS)])
    assert isinstance(decision, Route)


def test_arriving_on_the_trunks_endpoint_vouches_for_the_source() -> None:
    """When Asterisk matched the trunk's own endpoint (hostname gateways included), the source is accepted."""
    decision = route_inbound(InboundCall("919876543210", "192.0.2.1", arrived_on_trunk_id="t1"), [candidate()])
    assert isinstance(decision, Route)


def test_active_candidate_wins_over_inactive_copies() -> None:
    """Copies of a DID on inactive trunks never shadow the active holder."""
    active = candidate()
    inactive_trunk = attrs.evolve(active.trunk, id="t0", is_active=False)
    inactive = RouteCandidate(attrs.evolve(active.number, id="n0", trunk_id="t0"), inactive_trunk, active.sources)
    decision = route_inbound(InboundCall("919876543210", "198.51.100.1"), [inactive, active])
    assert isinstance(decision, Route)
    assert decision.number_id == "n1"


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("15.207.90.192", True),
        ("15.207.90.193", True),
        ("15.207.90.194", False),
        ("204.89.151.159", True),
        ("204.89.151.160", False),
        ("::ffff:13.52.9.1", True),
        ("2001:db8::7", True),
        ("[2001:db8::7]", True),
        ("2001:db9::1", False),
        ("not-an-ip", False),
        ("015.207.90.192", False),
        ("15.207.90.192.1", False),
        ("15.207.90.256", False),
        ("", False),
    ],
)
def test_source_matcher(address: str, allowed: bool) -> None:
    """Ranges of both families match by containment, IPv4-mapped IPv6 included."""
    matcher = SourceMatcher.build(["15.207.90.192/31", "204.89.151.128/27", "13.52.9.0/25", "2001:db8::/32"])
    assert matcher.allows(address) is allowed
