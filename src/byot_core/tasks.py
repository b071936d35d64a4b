"""Work started beside the caller and kept until it ends: one mechanism for every layer that starts tasks.

A task nobody references may be collected mid-flight, and one whose failure nobody reads fails silently; so every
task the library starts beside its caller goes through a :class:`Background`, which keeps it, logs its failure, and
can stop everything within a bound (a stop that waited on a task stuck in its own cleanup would never end).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["Background"]

log = logging.getLogger(__name__)


class Background:
    """Tasks started beside their caller, kept until they finish; ``what`` names them in logs."""

    def __init__(self, what: str = "background work") -> None:
        self.what = what
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"Background({self.what!r}, running={len(self._tasks)})"

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run ``work`` beside the caller; a failure is logged, never lost silently."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def drain(self, within: float | None = None) -> list[str]:
        """Wait until every task (and any they started) has finished, or ``within`` seconds have passed.

        Returns the names of the tasks still running then (none when it did not time out).
        """
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                break
            await asyncio.wait(list(self._tasks), timeout=left)
        return sorted(task.get_name() for task in self._tasks)

    async def cancel(self, within: float = 5.0) -> list[str]:
        """Cancel every task still running and wait up to ``within`` seconds for them to end.

        A task that has not ended by then is logged by name and left behind; returns those names.
        """
        for task in list(self._tasks):
            task.cancel()
        stuck = await self.drain(within)
        if stuck:
            log.error("%s: %d task(s) did not stop within %.1f s: %s", self.what, len(stuck), within, ", ".join(stuck))
        return stuck
