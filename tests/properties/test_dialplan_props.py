"""Properties of gateway ordering and failover."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.dialplan import EndKind, classify_end, next_gateway, order_gateways
from byot_core.domain.execution import Attempt, AttemptResult
from byot_core.domain.trunk import Gateway
from tests.strategies import gateways

T0 = datetime(2025, 1, 1, tzinfo=UTC)
# (rang, q850, sip) endings a gateway may produce.
endings = st.tuples(
    st.booleans(),
    st.sampled_from([None, 0, 1, 16, 17, 18, 19, 21, 27, 28, 34, 38, 41, 102, 127]),
    st.sampled_from([None, 404, 408, 480, 486, 487, 500, 503, 603]),
)


@given(gateways(), st.data())
def test_order_never_puts_a_lower_priority_first(gws: list[Gateway], data: st.DataObject) -> None:
    """Whatever the draws, the order is a permutation with non-decreasing priority numbers."""
    draws = data.draw(st.none() | st.lists(st.floats(0.0001, 1.0), min_size=len(gws), max_size=len(gws)))
    order = order_gateways(gws, draws)
    assert sorted(g.id for g in order) == sorted(g.id for g in gws)
    assert [g.priority for g in order] == sorted(g.priority for g in gws)


@given(gateways(), st.lists(endings, min_size=8, max_size=8))
def test_failover_stops_at_the_first_final_answer(
    gws: list[Gateway], outcomes: list[tuple[bool, int | None, int | None]]
) -> None:
    """Simulated calls try gateways in priority order, move on only after route failures, never re-dial a callee."""
    plan = order_gateways(gws)
    attempts: list[Attempt] = []
    while (gateway := next_gateway(plan, attempts)) is not None:
        rang, q850, sip = outcomes[len(attempts)]
        end = classify_end(answered=False, reached_ringing=rang, q850_cause=q850, sip_code=sip)
        attempt = Attempt(f"c{len(attempts)}", T0, gateway.id, reached_ringing=rang)
        attempts.append(attrs.evolve(attempt, result=end.attempt_result))
        assert len(attempts) <= len(plan)
    tried = [a.gateway_id for a in attempts]
    assert tried == [g.id for g in plan[: len(tried)]]
    for earlier in attempts[:-1]:
        assert earlier.result is AttemptResult.ROUTE_FAILURE
        assert not earlier.reached_ringing
    if attempts and attempts[-1].result is not AttemptResult.ROUTE_FAILURE:
        assert next_gateway(plan, attempts) is None


@given(endings)
def test_ringing_is_never_a_route_failure(ending: tuple[bool, int | None, int | None]) -> None:
    """Once the callee's phone rang, the attempt's end is final."""
    _, q850, sip = ending
    assert classify_end(answered=False, reached_ringing=True, q850_cause=q850, sip_code=sip).kind is EndKind.FINAL
