"""Background work: kept while it runs, failures logged, and a stop that ends within its bound whatever a task does."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from byot_core.tasks import Background


async def _stubborn(released: asyncio.Event) -> None:
    """A task that will not end when cancelled, as one stuck in its own cleanup does."""
    while not released.is_set():
        try:
            await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            continue


async def test_a_stop_ends_within_its_bound_and_names_what_would_not_stop(caplog: pytest.LogCaptureFixture) -> None:
    """Cancelling a stubborn task and a well-behaved one returns in time, logging the stubborn one by name."""
    background = Background("test work")
    released = asyncio.Event()
    background.spawn(_stubborn(released), "stubborn-task")
    background.spawn(asyncio.sleep(60), "sleeper")
    await asyncio.sleep(0.02)  # both running
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="byot_core.tasks"):
        stuck = await background.cancel(within=0.3)
    assert time.monotonic() - started < 1.0
    assert stuck == ["stubborn-task"]
    assert "test work: 1 task(s) did not stop within 0.3 s: stubborn-task" in caplog.text
    released.set()
    assert await background.drain(within=1.0) == []
    assert len(background) == 0


async def test_a_failure_is_logged_with_the_tasks_name(caplog: pytest.LogCaptureFixture) -> None:
    """A task that raises is logged, never lost silently; drain still waits for the others."""
    background = Background()

    async def fails() -> None:
        raise RuntimeError("boom")

    background.spawn(fails(), "failing-task")
    background.spawn(asyncio.sleep(0.05), "short")
    with caplog.at_level(logging.ERROR, logger="byot_core.tasks"):
        assert await background.drain() == []
    assert "failing-task failed" in caplog.text
