"""Work that must not hold up the event loop's next event: each call's media connection runs as its own task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["Background"]

log = logging.getLogger(__name__)


class Background:
    """Tasks started for calls, kept until they finish (an unreferenced task may be collected mid-flight)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"Background(running={len(self._tasks)})"

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``work`` beside the caller; a failure is logged, never lost silently."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until every task (and any they started) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        """Cancel every task still running and wait for them to end."""
        for task in list(self._tasks):
            task.cancel()
        await self.drain()
