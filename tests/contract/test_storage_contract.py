"""The storage contract, run against every storage adapter the library ships."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from byot_core.adapters.memory import MemoryStorage
from byot_core.ports.storage import Storage
from byot_core.testing import STORAGE_CONTRACT, StorageFactory, sample_number, sample_trunk
from byot_core.testing.storage_contract import routing_reads_at_once


@pytest.mark.parametrize("check", STORAGE_CONTRACT, ids=lambda check: check.__name__)
async def test_storage_contract(
    storage_factory: StorageFactory, check: Callable[[StorageFactory], Awaitable[None]]
) -> None:
    """Each adapter (memory, SQLite, PostgreSQL) passes each check of the shared contract."""
    await check(storage_factory)


async def test_memory_storage_reads_routing_candidates_at_once() -> None:
    """The in-memory storage offers RoutingReader, and its reads at once keep the capability's contract."""

    async def new() -> Storage:
        return MemoryStorage()

    await routing_reads_at_once(new)


async def test_a_read_at_once_waits_for_no_unit_of_work_but_never_reads_inside_one() -> None:
    """While a unit of work is open the in-memory storage answers None (the caller then waits its turn)."""
    storage = MemoryStorage()
    trunk = sample_trunk("t1")
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(trunk)
        await uow.numbers.add(sample_number("n1", trunk))
        await uow.commit()
    async with storage.unit_of_work(read_only=True):
        assert storage.routing_candidates_now("919876543210") is None
    (candidate,) = storage.routing_candidates_now("919876543210") or ()
    assert candidate.number.id == "n1"
