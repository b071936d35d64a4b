"""Properties of status transitions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.status import ExecutionStatus, advance

S = ExecutionStatus
_RANK = {S.INITIATED: 0, S.RINGING: 1, S.IN_PROGRESS: 2, S.CALL_DISCONNECTED: 3}


@given(st.sampled_from([S.INITIATED, S.RINGING]), st.lists(st.sampled_from(list(S)), max_size=30))
def test_statuses_only_move_forward_and_terminal_is_final(
    start: ExecutionStatus, events: list[ExecutionStatus]
) -> None:
    """Any sequence of events (duplicates, late ones) never moves a status back, nor out of a terminal one."""
    current = start
    for target in events:
        after = advance(current, target)
        if current.is_terminal:
            assert after is current
        elif not after.is_terminal:
            assert _RANK[after] >= _RANK[current]
        if after is not current:
            assert after is target
        current = after


@given(st.lists(st.sampled_from(list(S)), max_size=30))
def test_answered_calls_end_only_as_completed_or_failed(events: list[ExecutionStatus]) -> None:
    """After in-progress, the only terminal statuses reachable are completed and (the agent's media failed) failed."""
    current = S.IN_PROGRESS
    for target in events:
        current = advance(current, target)
    assert current in (S.IN_PROGRESS, S.CALL_DISCONNECTED, S.COMPLETED, S.FAILED)
