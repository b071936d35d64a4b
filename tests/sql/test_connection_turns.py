"""PostgreSQL sessions get connections first come, first served, and a wait for one is bounded.

Under load a session waiting for a connection must not be passed by every later one (some waited over a second while
the others took a millisecond, with connections kept outside the pool).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from byot_core.adapters.sql import engine as sql_engine
from byot_core.adapters.sql.database import Database, Session
from byot_core.adapters.sql.engine import POSTGRES_CONNECTIONS
from byot_core.domain.errors import StorageBusy
from tests.backends import database_url


def _select_one(conn: Any) -> int:
    return int(conn.exec_driver_sql("SELECT 1").scalar())


async def _holding(database: Database, count: int) -> list[Session]:
    """``count`` sessions, each holding a connection."""
    sessions = [database.session(read_only=True, snapshot=False) for _ in range(count)]
    for session in sessions:
        assert await session.run(_select_one, write=False) == 1
    return sessions


async def test_a_session_waiting_for_a_connection_is_not_passed_by_later_ones(tmp_path: Path) -> None:
    """Every connection held: a session that asks is served, when one is given back, before any that asks after it."""
    database = Database(await database_url("postgres", tmp_path))
    holders: list[Session] = []
    served: list[str] = []

    async def session(name: str) -> None:
        session = database.session(read_only=True, snapshot=False)
        try:
            await session.run(_select_one, write=False)
            served.append(name)
        finally:
            await session.close()

    try:
        holders = await _holding(database, POSTGRES_CONNECTIONS)
        first = asyncio.create_task(session("first"))
        await asyncio.sleep(0.05)
        assert served == [], "a session was served with every connection held"
        # Given back, the connection is kept for the next session: the one that has waited, not a newcomer.
        await holders.pop().close()
        later = asyncio.create_task(session("later"))
        async with asyncio.timeout(5):
            await asyncio.gather(first, later)
        assert served == ["first", "later"]
    finally:
        for holder in holders:
            await holder.close()
        await database.dispose()


async def test_a_session_that_waits_too_long_for_a_connection_is_told_the_database_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the connection timeout the wait ends in ``StorageBusy`` (a 503), and every connection can be held again."""
    monkeypatch.setattr(sql_engine, "CONNECT_TIMEOUT_SECONDS", 0.2)
    database = Database(await database_url("postgres", tmp_path))
    holders: list[Session] = []
    try:
        holders = await _holding(database, POSTGRES_CONNECTIONS)
        waiting = database.session(read_only=True, snapshot=False)
        with pytest.raises(StorageBusy):
            await waiting.run(_select_one, write=False)
        await waiting.close()
        for holder in holders:
            await holder.close()
        holders = []
        # Every connection is free again: as many sessions as connections hold one at once (one short would time out).
        again = await _holding(database, POSTGRES_CONNECTIONS)
        for session in again:
            await session.close()
    finally:
        for holder in holders:
            await holder.close()
        await database.dispose()
