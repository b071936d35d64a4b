"""SQLite writes never hold up the event loop.

A write lock held by another process is waited for in the writer's thread, up to the busy timeout, and the WAL is
checkpointed there too, so it stays bounded.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import byot_core
from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql import engine as sql_engine
from byot_core.domain.errors import StorageBusy
from byot_core.guide_api import GuideApi
from tests.backends import database_url
from tests.support import ACCOUNT, USERPASS_TRUNK, body


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[tuple[byot_core.Byot, SqlStorage, Path]]:
    """An application on a fresh SQLite file, and the file."""
    url = await database_url("sqlite", tmp_path)
    storage = await SqlStorage.open(url)
    try:
        yield byot_core.build(storage=storage), storage, Path(url.removeprefix("sqlite:///"))
    finally:
        await storage.close()


async def _ticks_while(task: asyncio.Task[object], seconds: float) -> list[float]:
    """How late each 10 ms sleep woke up while ``task`` runs, for at most ``seconds``."""
    lateness = []
    deadline = time.perf_counter() + seconds
    while not task.done() and time.perf_counter() < deadline:
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        lateness.append(time.perf_counter() - start - 0.01)
    return lateness


async def test_a_lock_held_by_another_process_is_waited_for_off_the_event_loop(
    sqlite: tuple[byot_core.Byot, SqlStorage, Path],
) -> None:
    """Another connection holds the write lock: the create waits for it, and the event loop keeps running."""
    app, _, path = sqlite
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        create = asyncio.create_task(GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name="waited")))
        lateness = await _ticks_while(create, 0.5)
        assert not create.done(), "the create wrote while another connection held the write lock"
        assert len(lateness) > 20, f"the event loop ran only {len(lateness)} times in 0.5 s"
        assert max(lateness) < 0.2, f"the event loop was held up {max(lateness):.3f} s"
        other.execute("COMMIT")
        created = await asyncio.wait_for(create, timeout=5)
    finally:
        other.close()
    assert (await app.trunks.get(ACCOUNT, created.trunk.id)).trunk.name == "waited"


async def test_a_lock_never_released_is_storage_busy_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the busy timeout (shortened here), the create gives up with StorageBusy, and nothing is stored."""
    monkeypatch.setattr(sql_engine, "CONNECT_TIMEOUT_SECONDS", 0.2)
    url = await database_url("sqlite", tmp_path)
    storage = await SqlStorage.open(url)
    app = byot_core.build(storage=storage)
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageBusy):
            await asyncio.wait_for(
                GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name="refused")), timeout=5
            )
        other.execute("ROLLBACK")
        assert await app.trunks.list(ACCOUNT) == []
        created = await GuideApi(app).trunks.create(
            ACCOUNT, body(USERPASS_TRUNK, name="later")
        )  # the writer still works
        assert created.trunk.name == "later"
    finally:
        other.close()
        await storage.close()


async def test_the_wal_is_checkpointed_into_the_database_file(sqlite: tuple[byot_core.Byot, SqlStorage, Path]) -> None:
    """Many commits in a row: their pages reach the database file, and the WAL stays bounded."""
    app, _, path = sqlite
    wal = path.with_name(path.name + "-wal")
    start = path.stat().st_size
    for i in range(600):  # in a loop that never waits for anything else, as a bulk import would
        await GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"t{i}"))
    # Without checkpoints every page written stays in the WAL (21 MB after these creates) and the database file does
    # not grow; with them the WAL starts over after each (SQLite's automatic checkpoint: every 1,000 pages).
    assert path.stat().st_size > start + 200_000
    assert wal.stat().st_size < 8_000_000, f"the WAL grew to {wal.stat().st_size:,} bytes"
