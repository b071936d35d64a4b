"""Properties of outbound pacing: no one-second window holds more attempts than a trunk's calls per second."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from byot_core.domain.pacing import MAX_PACING_WAIT, reserve_slot

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@given(st.integers(1, 50), st.lists(st.integers(0, 3000), min_size=1, max_size=200))
@example(3, [0, 0, 0, 0])  # a third of a second rounded down let a fourth slot into the first one's second
def test_slots_never_crowd_a_second_and_never_wait_too_long(cps: int, gaps_ms: list[int]) -> None:
    """Requests at any times: slots come in order, at most ``cps`` in any second, none beyond the allowed wait."""
    now, next_free, slots = T0, None, []
    for gap in gaps_ms:
        now += timedelta(milliseconds=gap)
        slot = reserve_slot(next_free, now, cps)
        if slot is None:
            assert next_free is not None
            assert next_free - now > MAX_PACING_WAIT
            continue
        assert now <= slot.at <= now + MAX_PACING_WAIT
        slots.append(slot.at)
        next_free = slot.next_free
    assert slots == sorted(slots)
    for i, start in enumerate(slots):
        in_window = [s for s in slots[i:] if s < start + timedelta(seconds=1)]
        assert len(in_window) <= cps


@given(st.integers(1, 50), st.integers(1, 200))
def test_a_burst_is_spread_not_refused_within_the_wait(cps: int, burst: int) -> None:
    """A burst at one instant: every request whose slot falls within the wait gets one, one interval apart."""
    next_free, taken = None, 0
    for _ in range(burst):
        slot = reserve_slot(next_free, T0, cps)
        if slot is None:
            break
        next_free, taken = slot.next_free, taken + 1
    interval = timedelta(microseconds=math.ceil(1_000_000 / cps))  # whole microseconds, never short of 1 / cps
    assert taken == min(burst, MAX_PACING_WAIT // interval + 1)
