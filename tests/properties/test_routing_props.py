"""Properties of the inbound routing decision: which agent answers, and when a call is refused for having none."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.routing import (
    InboundCall,
    Rejection,
    RejectReason,
    Route,
    RouteCandidate,
    allowed_sources,
    route_inbound,
)
from byot_core.domain.trunk import TrunkSettings
from byot_core.testing import sample_number, sample_trunk

agents = st.none() | st.sampled_from(["agt-own", "agt-other"])


@given(agents, agents, st.booleans(), st.booleans(), st.booleans())
def test_a_numbers_own_agent_wins_and_the_trunks_default_covers_the_rest(
    own: str | None, default: str | None, trunk_active: bool, inbound: bool, number_active: bool
) -> None:
    """Routed exactly when every earlier rule passes and some agent is named; the number's own agent first."""
    trunk = attrs.evolve(
        sample_trunk("t1"),
        is_active=trunk_active,
        settings=TrunkSettings(inbound_enabled=inbound),
        default_inbound_agent_id=default,
    )
    number = attrs.evolve(sample_number("n1", trunk), agent_id=own, is_active=number_active)
    decision = route_inbound(
        InboundCall("+919876543210", "198.51.100.9"), [RouteCandidate(number, trunk, allowed_sources(trunk))]
    )
    routable = trunk_active and inbound and number_active
    if routable and (own or default):
        assert isinstance(decision, Route)
        assert decision.agent_id == (own or default)
        assert decision.by_trunk_default == (own is None)
        assert decision.checks[-1].passed
    else:
        assert isinstance(decision, Rejection)
        if routable:
            assert decision.reason is RejectReason.NUMBER_NOT_MAPPED
