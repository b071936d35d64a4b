"""Outbound call pacing: each attempt on a trunk gets a time slot, at most ``calls_per_second`` of them a second.

Slots are handed out in order: the next is the later of now and the trunk's next free time, and the trunk's next
free time moves one interval (1 / ``calls_per_second``) past it. A burst is thereby spread, never squeezed: in any
one-second window a trunk starts at most ``calls_per_second`` attempts. A slot further away than the wait allowed
is not taken (the caller is refused instead), so a refused request costs later ones nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

__all__ = ["CPS_BOUNDS", "MAX_PACING_WAIT", "Slot", "interval", "reserve_slot"]

#: Inclusive bounds of a trunk's ``calls_per_second``.
CPS_BOUNDS = (1, 1000)
#: The longest a new call waits for its first attempt's slot before it is refused.
MAX_PACING_WAIT = timedelta(seconds=10)


@attrs.frozen
class Slot:
    """When an attempt may start, and the trunk's next free time once it is taken."""

    at: datetime
    next_free: datetime


def reserve_slot(
    next_free: datetime | None, now: datetime, calls_per_second: int, max_wait: timedelta | None = MAX_PACING_WAIT
) -> Slot | None:
    """The slot an attempt gets, or ``None`` when it would wait longer than ``max_wait`` (``None``: any wait)."""
    at = max(now, next_free) if next_free is not None else now
    if max_wait is not None and at - now > max_wait:
        return None
    return Slot(at, at + interval(calls_per_second))


def interval(calls_per_second: int) -> timedelta:
    """The time between two slots: a second divided by the pace, rounded up to whole microseconds.

    Rounded up, not to the nearest: three slots a third of a second apart rounded down (333,333 µs) would put a
    fourth inside the first one's second.
    """
    return timedelta(microseconds=-(-1_000_000 // calls_per_second))
