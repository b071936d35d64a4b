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


class MemoryUnitOfWork:
    """One transaction on :class:`MemoryStorage`: exclusive while open, undone unless committed.

    A read-only one takes the same turn (a writer's unit of work changes the state in place, so reading beside it
    could see half of it) and refuses writes.
    """

    def __init__(self, state: State, lock: asyncio.Lock, *, read_only: bool = False) -> None:
        self._state = state
        self._lock = lock
        self._journal = Journal(read_only=read_only)
        # Repositories are made on first use: most units of work touch one or two of them.
        self._trunks: _TrunkRepo | None = None
        self._numbers: _NumberRepo | None = None
        self._executions: _ExecutionRepo | None = None
        self._instances: _InstanceRepo | None = None
        self._accounts: MemoryAccountRepository | None = None
        self._outbox: MemoryOutboxRepository | None = None

    @property
    def trunks(self) -> _TrunkRepo:
        """The trunks, seen through this transaction."""
        if self._trunks is None:
            self._trunks = _TrunkRepo(self._state, self._journal)
        return self._trunks

    @property
    def numbers(self) -> _NumberRepo:
        """The phone numbers, seen through this transaction."""
        if self._numbers is None:
            self._numbers = _NumberRepo(self._state, self._journal, self.trunks)
        return self._numbers

    @property
    def executions(self) -> _ExecutionRepo:
        """The executions, seen through this transaction."""
        if self._executions is None:
            self._executions = _ExecutionRepo(self._state, self._journal)
        return self._executions

    @property
    def instances(self) -> _InstanceRepo:
        """The instances' leases, seen through this transaction."""
        if self._instances is None:
            self._instances = _InstanceRepo(self._state, self._journal)
        return self._instances

    @property
    def accounts(self) -> MemoryAccountRepository:
        """What is kept per account, seen through this transaction."""
        if self._accounts is None:
            self._accounts = MemoryAccountRepository(self._state, self._journal)
        return self._accounts

    @property
    def outbox(self) -> MemoryOutboxRepository:
        """Status callbacks, seen through this transaction."""
        if self._outbox is None:
            self._outbox = MemoryOutboxRepository(self._state, self._journal)
        return self._outbox

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
