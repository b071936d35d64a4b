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
from byot_core.domain.trunk import AuthType, TrunkSettings
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


def _rules_in_order(call: InboundCall, candidate: RouteCandidate) -> RejectReason | None:
    """The rules as ``route_inbound`` documents them, read straight from the number, its trunk and the call."""
    number, trunk = candidate.number, candidate.trunk
    if not trunk.is_active or trunk.deleted:
        return RejectReason.TRUNK_INACTIVE
    if not trunk.settings.inbound_enabled:
        return RejectReason.INBOUND_DISABLED
    if (
        trunk.auth_type is AuthType.IP_BASED
        and call.arrived_on_trunk_id != trunk.id
        and not candidate.sources.allows(call.source)
    ):
        return RejectReason.SOURCE_NOT_ALLOWED
    if not number.is_active:
        return RejectReason.NUMBER_INACTIVE
    if number.agent_id is None and trunk.default_inbound_agent_id is None:
        return RejectReason.NUMBER_NOT_MAPPED
    if trunk.channels is not None and call.in_progress is not None and call.in_progress >= trunk.channels:
        return RejectReason.CHANNELS_FULL
    return None


@given(
    st.sampled_from(AuthType),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    agents,
    st.none() | st.integers(1, 3),
    st.booleans(),
    agents,
    st.sampled_from([None, "", "198.51.100.7", "203.0.113.10", "192.0.2.1", "::1", "not an address"]),
    st.sampled_from([None, "t1", "t2"]),
    st.none() | st.integers(0, 4),
    st.booleans(),
)
def test_the_decision_applies_the_rules_in_order_from_the_number_and_trunk_it_is_given(
    auth_type: AuthType,
    trunk_active: bool,
    deleted: bool,
    inbound: bool,
    default: str | None,
    channels: int | None,
    number_active: bool,
    own: str | None,
    source: str | None,
    arrived_on: str | None,
    in_progress: int | None,
    evolved: bool,
) -> None:
    """Whatever the number and trunk, the first rule that fails names the refusal; none failing routes the call.

    Candidates work out what the number and trunk decide when they are built: one made by ``attrs.evolve`` from a
    candidate of other data decides from its own.
    """
    trunk = attrs.evolve(
        sample_trunk("t1"),
        auth_type=auth_type,
        is_active=trunk_active,
        deleted=deleted,
        settings=TrunkSettings(inbound_enabled=inbound),
        default_inbound_agent_id=default,
        channels=channels,
    )
    number = attrs.evolve(sample_number("n1", trunk), agent_id=own, is_active=number_active)
    if evolved:
        plain = sample_trunk("t1")
        other = RouteCandidate(sample_number("n1", plain), plain, allowed_sources(plain))
        candidate = attrs.evolve(other, number=number, trunk=trunk, sources=allowed_sources(trunk))
    else:
        candidate = RouteCandidate(number, trunk, allowed_sources(trunk))
    call = InboundCall("+919876543210", source, arrived_on, in_progress)
    decision = route_inbound(call, [candidate])
    expected = _rules_in_order(call, candidate)
    if expected is None:
        assert isinstance(decision, Route)
        assert decision.agent_id == (own or default)
    else:
        assert isinstance(decision, Rejection)
        assert decision.reason is expected
        assert not decision.checks[-1].passed
