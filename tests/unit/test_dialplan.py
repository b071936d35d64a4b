"""Gateway order, the dialled number, and which attempt endings fail over."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from byot_core.domain.dialplan import EndKind, classify_end, dialled_number, next_gateway, order_gateways
from byot_core.domain.execution import Attempt, AttemptResult
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.trunk import Gateway

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def gw(gid: str, priority: int, weight: int = 1) -> Gateway:
    return Gateway(id=gid, address=f"{gid}.example.com", priority=priority, weight=weight)


def test_lower_priority_number_goes_first() -> None:
    """'Lower number = higher priority': priority 1 before 2 before 3, whatever the declared order."""
    assert [g.id for g in order_gateways([gw("c", 3), gw("a", 1), gw("b", 2)])] == ["a", "b", "c"]


def test_equal_priorities_heavier_weight_first_without_draws() -> None:
    """Without random draws, equal priorities go heavier weight first, then in declared order."""
    assert [g.id for g in order_gateways([gw("x", 1, 1), gw("y", 1, 5), gw("z", 1, 1)])] == ["y", "x", "z"]


def test_weighted_draws_share_load_in_proportion() -> None:
    """With draws, a gateway of weight 3 leads about three times as often as one of weight 1."""
    import random

    rng = random.Random(7)
    firsts = {"h": 0, "l": 0}
    gateways = [gw("h", 1, 3), gw("l", 1, 1), gw("backup", 2, 100)]
    for _ in range(4000):
        order = order_gateways(gateways, [rng.random() or 1.0 for _ in gateways])
        assert order[-1].id == "backup"
        firsts[order[0].id] += 1
    assert 2.5 < firsts["h"] / firsts["l"] < 3.5


@pytest.mark.parametrize(("plus", "expected"), [(True, "+918800001234"), (False, "918800001234")])
def test_dialled_number_follows_outbound_leading_plus(plus: bool, expected: str) -> None:
    """The Request-URI number gets '+' only when outbound_leading_plus_enabled is true."""
    assert dialled_number("918800001234", plus) == expected


@pytest.mark.parametrize(
    ("q850", "sip", "rang", "kind", "status", "reason"),
    [
        (34, 503, False, EndKind.ROUTE_FAILURE, ExecutionStatus.FAILED, "Temporary network failure"),
        (18, 408, False, EndKind.ROUTE_FAILURE, ExecutionStatus.FAILED, "Call unanswered"),
        (38, 500, False, EndKind.ROUTE_FAILURE, ExecutionStatus.FAILED, "Network error"),
        (27, None, False, EndKind.ROUTE_FAILURE, ExecutionStatus.FAILED, "Network error"),
        (None, None, False, EndKind.ROUTE_FAILURE, ExecutionStatus.FAILED, "Call failed"),
        (17, 486, False, EndKind.FINAL, ExecutionStatus.BUSY, "Call recipient was busy"),
        (19, 480, True, EndKind.FINAL, ExecutionStatus.NO_ANSWER, "Call unanswered"),
        (18, 408, True, EndKind.FINAL, ExecutionStatus.NO_ANSWER, "Call unanswered"),
        (21, 603, False, EndKind.FINAL, ExecutionStatus.FAILED, "Call recipient rejected"),
        (1, 404, False, EndKind.FINAL, ExecutionStatus.FAILED, "Call recipient number invalid"),
        (28, 484, False, EndKind.FINAL, ExecutionStatus.FAILED, "Invalid phone number format"),
        (127, 487, True, EndKind.FINAL, ExecutionStatus.CANCELED, "Call canceled by originator"),
        (34, 503, True, EndKind.FINAL, ExecutionStatus.FAILED, "Temporary network failure"),
    ],
)
def test_classify_end(
    q850: int | None, sip: int | None, rang: bool, kind: EndKind, status: ExecutionStatus, reason: str
) -> None:
    """Route failures (never rang, network causes) fail over; the callee's answers are final."""
    end = classify_end(answered=False, reached_ringing=rang, q850_cause=q850, sip_code=sip)
    assert (end.kind, end.status, end.reason.text) == (kind, status, reason)


@pytest.mark.parametrize("cause", [0, 16, None])
def test_answered_calls_complete_whatever_the_cause(cause: int | None) -> None:
    """Asterisk reports 0 for a plain BYE after answer: still a normally completed call."""
    end = classify_end(answered=True, reached_ringing=True, q850_cause=cause, sip_code=None)
    assert (end.kind, end.status, end.reason.text) == (
        EndKind.ANSWERED,
        ExecutionStatus.COMPLETED,
        "Call ended normally",
    )


def attempt(gid: str, result: AttemptResult, rang: bool = False) -> Attempt:
    return Attempt(channel_id=f"ch-{gid}", started_at=T0, gateway_id=gid, result=result, reached_ringing=rang)


def test_next_gateway() -> None:
    """The first untried gateway follows a route failure; nothing follows a final answer or a ring."""
    plan = [gw("a", 1), gw("b", 2), gw("c", 3)]
    assert next_gateway(plan, []) == plan[0]
    assert next_gateway(plan, [attempt("a", AttemptResult.ROUTE_FAILURE)]) == plan[1]
    assert next_gateway(plan, [attempt("a", AttemptResult.FINAL)]) is None
    assert next_gateway(plan, [attempt("a", AttemptResult.ROUTE_FAILURE, rang=True)]) is None
    tried = [attempt(g, AttemptResult.ROUTE_FAILURE) for g in "abc"]
    assert next_gateway(plan, tried) is None
