"""Properties of status callbacks: what an answer means, when an event is tried again, signatures, the events made."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.callbacks import (
    GIVE_UP_AFTER,
    CallbackEvent,
    DeliveryOutcome,
    events_for_change,
    outcome_of,
    retry_at,
    sign,
)
from byot_core.domain.execution import Direction, Execution
from byot_core.domain.status import ExecutionStatus

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@given(st.none() | st.integers(100, 599))
def test_only_2xx_delivers_and_only_4xx_but_408_and_429_gives_up(status: int | None) -> None:
    """No answer, 1xx, 3xx, 408, 429 and 5xx are tried again."""
    outcome = outcome_of(status)
    if status is not None and 200 <= status < 300:
        assert outcome is DeliveryOutcome.DELIVERED
    elif status is not None and 400 <= status < 500 and status not in (408, 429):
        assert outcome is DeliveryOutcome.GIVE_UP
    else:
        assert outcome is DeliveryOutcome.RETRY


def _event(attempts: int, created: datetime = T0) -> CallbackEvent:
    return CallbackEvent("ev", "acct", "ex", 1, "https://r.example/", "{}", created, created, attempts=attempts)


@given(st.integers(1, 60), st.floats(0, 86_399, allow_nan=False))
def test_waits_double_from_a_second_to_ten_minutes_and_retries_last_a_day(attempts: int, age: float) -> None:
    """Within 24 hours of its writing an event is always tried again, never sooner than before, at most 10 min on."""
    now = T0 + timedelta(seconds=age)
    wait = retry_at(_event(attempts), now)
    assert wait is not None
    assert timedelta(seconds=1) <= wait - now <= timedelta(minutes=10)
    later = retry_at(_event(attempts + 1), now)
    assert later is not None
    assert later - now >= wait - now
    assert retry_at(_event(attempts), T0 + GIVE_UP_AFTER) is None


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=2), st.integers(0, 2**33), st.text(max_size=200))
def test_a_signature_is_the_hmac_of_its_timestamp_and_body(secrets: list[str], timestamp: int, body: str) -> None:
    """A receiver recomputes it from the header's ``t`` and the raw body, with any secret signed with."""
    parts = [part.split("=", 1) for part in sign(secrets, timestamp, body).split(",")]
    assert parts[0] == ["t", str(timestamp)]
    expected = [hmac.new(s.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest() for s in secrets]
    assert parts[1:] == [["v1", mac] for mac in expected]


statuses = st.sampled_from(list(ExecutionStatus))


@given(st.lists(statuses, min_size=1, max_size=8))
def test_each_change_of_status_is_one_event_numbered_in_turn(path: list[ExecutionStatus]) -> None:
    """A call's events carry consecutive sequences and one status each, the final ones the call's outcome."""
    ids = (f"ev{n}" for n in itertools.count())
    call = Execution("ex", "acct", "agt", Direction.OUTBOUND, path[0], "+1", "+2", T0, T0)
    events = events_for_change(None, call, "https://r.example/", lambda: next(ids), 1, T0)
    for status in path[1:]:
        changed = attrs.evolve(call, status=status, ended_at=T0 if status.is_terminal else None)
        events += events_for_change(call, changed, "https://r.example/", lambda: next(ids), len(events) + 1, T0)
        call = changed
    bodies = [json.loads(e.body) for e in events]
    assert [b["sequence"] for b in bodies] == list(range(1, len(events) + 1))
    assert [e.sequence for e in events] == [b["sequence"] for b in bodies]
    assert [b["event_id"] for b in bodies] == [e.id for e in events]
    changes = [path[0]] + [b for a, b in itertools.pairwise(path) if a is not b]
    assert [b["status"] for b in bodies] == [s.value for s in changes]
    for body in bodies:
        assert ("duration_seconds" in body) is ExecutionStatus(body["status"]).is_terminal
