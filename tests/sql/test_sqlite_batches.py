"""SQLite writes ready at the same time share one transaction, and each is acknowledged only once it is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql.common import sqlite_driver
from byot_core.domain.errors import StorageBusy, TrunkNameConflict
from byot_core.testing import sample_trunk
from tests.backends import database_url
from tests.sql.test_sql_storage import StatementCounter


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


async def test_units_ready_at_once_share_one_transaction_and_each_returns_once_committed(
    sqlite: tuple[SqlStorage, Path],
) -> None:
    """Five units of work at once: one BEGIN and one COMMIT; each sees its trunk committed when its commit returns."""
    storage, path = sqlite
    seen_at_commit: dict[str, bool] = {}

    async def add(index: int) -> None:
        trunk = sample_trunk(f"t{index}")
        async with storage.unit_of_work() as uow:
            await uow.trunks.add(trunk)
            await uow.commit()
        seen_at_commit[trunk.id] = trunk.id in _stored_ids(path)

    counter = StatementCounter(storage)
    await asyncio.gather(*(add(i) for i in range(5)))
    counter.stop()
    words = [sql.split()[0].upper() for sql in counter.sent if not sql.lstrip().upper().startswith("PRAGMA")]
    assert (words.count("BEGIN"), words.count("COMMIT")) == (1, 1), counter.sent
    # Each unit after the first begins at a savepoint of its own, so that it could be undone alone.
    assert (words.count("SAVEPOINT"), words.count("RELEASE")) == (4, 4), counter.sent
    assert seen_at_commit == {f"t{i}": True for i in range(5)}, "a commit returned before its write was committed"


async def test_a_unit_that_fails_in_a_shared_transaction_undoes_only_its_own_writes(
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


async def test_a_transaction_lost_midway_fails_every_unit_in_it_and_stores_nothing(
    sqlite: tuple[SqlStorage, Path],
) -> None:
    """When SQLite rolls the shared transaction back (as it does on a full disk), no unit in it is acknowledged.

    Each gets StorageBusy (the write use cases run theirs again), and the next writes go on as usual.
    """
    storage, path = sqlite

    async def add(trunk_id: str, *, lose_transaction: bool = False) -> None:
        async with storage.unit_of_work() as uow:
            await uow.trunks.add(sample_trunk(trunk_id))
            if lose_transaction:
                await uow._session.run(lambda conn: sqlite_driver(conn).execute("ROLLBACK"))
            await uow.commit()

    results = await asyncio.gather(add("a"), add("b"), add("c", lose_transaction=True), return_exceptions=True)
    assert [type(result) for result in results] == [StorageBusy, StorageBusy, StorageBusy]
    assert _stored_ids(path) == set()
    await add("after")
    assert _stored_ids(path) == {"after"}


async def test_a_session_cancelled_while_its_batch_is_open_still_lets_the_others_commit(
    sqlite: tuple[SqlStorage, Path],
) -> None:
    """The session that began a batch commits it for all: cancelled while it waits, it commits it all the same."""
    storage, path = sqlite

    async def add(trunk_id: str) -> None:
        async with storage.unit_of_work() as uow:
            await uow.trunks.add(sample_trunk(trunk_id))
            await uow.commit()

    first = asyncio.create_task(add("first"))
    second = asyncio.create_task(add("second"))
    await asyncio.sleep(0)  # the first begins the batch and yields; the second joins it
    first.cancel()
    await asyncio.wait_for(second, timeout=2)
    with pytest.raises(asyncio.CancelledError):
        await first
    # The first's work was in the transaction when it was cancelled: committed with the rest, as a write whose
    # answer was lost would be.
    assert _stored_ids(path) == {"first", "second"}
