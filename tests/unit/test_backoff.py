"""The shared backoff: jittered delays that double up to a ceiling and start over on reset."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byot_core.backoff import Backoff


@given(
    first=st.floats(min_value=0.001, max_value=10),
    factor=st.floats(min_value=1, max_value=1000),
    tries=st.integers(min_value=1, max_value=40),
)
def test_each_delay_lies_between_half_and_all_of_its_doubling_step(first: float, factor: float, tries: int) -> None:
    """The n-th delay is in [step/2, step] with step = min(first * 2**n, most); reset starts from first again."""
    most = first * factor
    backoff = Backoff(first, most)
    for attempt in range(tries):
        step = min(first * 2**attempt, most)
        assert step / 2 <= backoff.next() <= step
    backoff.reset()
    assert first / 2 <= backoff.next() <= first


@pytest.mark.parametrize(("first", "most"), [(0, 1), (-1, 1), (2, 1)])
def test_a_backoff_that_could_not_wait_is_refused(first: float, most: float) -> None:
    """A first delay of zero or less, or above the ceiling, is a programming error."""
    with pytest.raises(ValueError, match="first"):
        Backoff(first, most)
