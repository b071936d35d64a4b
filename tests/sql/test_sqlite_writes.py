"""SQLite writes made at once: each acknowledged only once committed, each undone alone, none holding up the rest."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from byot_core.adapters.sql import SqlStorage
from byot_core.domain.errors import TrunkNameConflict
from byot_core.testing import sample_trunk
from tests.backends import database_url


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[tuple[SqlStorage, Path]]:
    """A SQL storage on a fresh SQLite file, and the file."""
    url = await database_url("sqlite", tmp_path)
    storage = await SqlStorage.open(url)
    try:
        yield storage, Path(url.removeprefix("sqlite:///"))
    finally:
        await storage.close()


def _stored_ids(path: Path) -> set[str]:
    """The trunk ids committed to the file, as another connection (another process) sees them."""
    other = sqlite3.connect(path)
    try:
        return {row[0] for row in other.execute("SELECT id FROM byot_trunks")}
    finally:
        other.close()


async def test_units_made_at_once_each_return_once_committed(sqlite: tuple[SqlStorage, Path]) -> None:
    """Five units of work at once: each sees its trunk committed (by another connection) when its commit returns."""
    storage, path = sqlite
    seen_at_commit: dict[str, bool] = {}

    async def add(index: int) -> None:
        trunk = sample_trunk(f"t{index}")
        async with storage.unit_of_work() as uow:
            await uow.trunks.add(trunk)
            await uow.commit()
        seen_at_commit[trunk.id] = trunk.id in _stored_ids(path)

    await asyncio.gather(*(add(i) for i in range(5)))
    assert seen_at_commit == {f"t{i}": True for i in range(5)}, "a commit returned before its write was committed"


async def test_a_unit_that_fails_among_others_undoes_only_its_own_writes(
    sqlite: tuple[SqlStorage, Path],
) -> None:
    """The middle of three units writes a trunk, then fails: its trunk is not stored, the others' are."""
    storage, path = sqlite

    async def add(trunk_id: str, *, then_clash: bool = False) -> None:
        async with storage.unit_of_work() as uow:
            await uow.trunks.add(sample_trunk(trunk_id))
            if then_clash:
                await uow.trunks.add(sample_trunk("clash", name="trunk first"))  # the first unit's name
            await uow.commit()

    results = await asyncio.gather(add("first"), add("middle", then_clash=True), add("last"), return_exceptions=True)
    assert results[0] is None
    assert isinstance(results[1], TrunkNameConflict)
    assert results[2] is None
    assert _stored_ids(path) == {"first", "last"}


async def test_a_unit_cancelled_midway_writes_nothing_and_lets_the_others_write(
    sqlite: tuple[SqlStorage, Path],
) -> None:
    """A unit of work cancelled after its first write, before its commit: nothing of it stored, the next ones go on."""
    storage, path = sqlite
    wrote = asyncio.Event()

    async def add(trunk_id: str, *, then_wait: bool = False) -> None:
        async with storage.unit_of_work() as uow:
            await uow.trunks.add(sample_trunk(trunk_id))
            if then_wait:
                wrote.set()
                await asyncio.Event().wait()  # until cancelled
            await uow.commit()

    stuck = asyncio.create_task(add("stuck", then_wait=True))
    await wrote.wait()
    waiting = [asyncio.create_task(add(f"next{i}")) for i in range(3)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in waiting), "a write went on while another unit held the writer"
    stuck.cancel()
    async with asyncio.timeout(5):
        await asyncio.gather(*waiting)
    with pytest.raises(asyncio.CancelledError):
        await stuck
    assert _stored_ids(path) == {"next0", "next1", "next2"}
