"""In-memory storage that keeps exactly the invariants a SQL database keeps.

Units of work are serialised by one lock (as a single-writer database would), write straight into the state, and
journal every change so that leaving without commit undoes it. Uniqueness is enforced by indexes kept at write time
(see :class:`~byot_core.adapters.memory.state.State`); reads compute their answers from the stored objects.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from byot_core.adapters.memory.accounts import MemoryAccountRepository, MemoryOutboxRepository
from byot_core.adapters.memory.repositories import _ExecutionRepo, _InstanceRepo, _NumberRepo, _TrunkRepo
from byot_core.adapters.memory.state import Journal, State

__all__ = ["MemoryStorage", "MemoryUnitOfWork"]


_READ_ONLY = Journal(read_only=True)


class MemoryUnitOfWork:
    """One transaction on :class:`MemoryStorage`: exclusive while open, undone unless committed.

    A read-only one takes the same turn (a writer's unit of work changes the state in place, so reading beside it
    could see half of it) and refuses writes.
    """

    def __init__(self, state: State, lock: asyncio.Lock, *, read_only: bool = False) -> None:
        self._state = state
        self._lock = lock
        # A read-only unit of work records nothing (its writes are refused before they are made): one journal for all.
        self._journal = _READ_ONLY if read_only else Journal()

    # The repositories hold nothing of their own (the state and this unit's journal): one is made when asked for.

    @property
    def trunks(self) -> _TrunkRepo:
        """The trunks, seen through this transaction."""
        return _TrunkRepo(self._state, self._journal)

    @property
    def numbers(self) -> _NumberRepo:
        """The phone numbers, seen through this transaction."""
        return _NumberRepo(self._state, self._journal)

    @property
    def executions(self) -> _ExecutionRepo:
        """The executions, seen through this transaction."""
        return _ExecutionRepo(self._state, self._journal)

    @property
    def instances(self) -> _InstanceRepo:
        """The instances' leases, seen through this transaction."""
        return _InstanceRepo(self._state, self._journal)

    @property
    def accounts(self) -> MemoryAccountRepository:
        """What is kept per account, seen through this transaction."""
        return MemoryAccountRepository(self._state, self._journal)

    @property
    def outbox(self) -> MemoryOutboxRepository:
        """Status callbacks, seen through this transaction."""
        return MemoryOutboxRepository(self._state, self._journal)

    async def __aenter__(self) -> Self:
        await self._lock.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._undo()
        finally:
            self._lock.release()

    async def commit(self) -> None:
        """Keep every change made so far."""
        self._journal.entries.clear()

    async def rollback(self) -> None:
        """Undo every change made since the last commit."""
        self._undo()

    def _undo(self) -> None:
        if self._journal.entries:
            self._journal.undo()
            self._state.sources.clear()


class MemoryStorage:
    """Storage kept in this process's memory: for tests, demos and embedders' own test suites."""

    def __init__(self) -> None:
        self._state = State()
        self._lock = asyncio.Lock()

    def unit_of_work(self, *, read_only: bool = False, snapshot: bool = True) -> MemoryUnitOfWork:
        """A new unit of work (``read_only`` refuses writes; every unit here reads one consistent state)."""
        return MemoryUnitOfWork(self._state, self._lock, read_only=read_only)
