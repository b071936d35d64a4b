"""Schema versions: upgrades from the command line and at once, newer schemas served, older ones refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from byot_core.adapters.sql import Database, SchemaOutOfDate, SqlStorage
from byot_core.adapters.sql import trunk_repository as trunk_repository
from byot_core.adapters.sql.migrate import check_schema, head_revision, upgrade
from tests.backends import SQL_BACKENDS, database_url, empty_database_url, sqlite_url


async def test_a_database_behind_the_code_is_refused_with_how_to_upgrade(tmp_path: Path) -> None:
    """A database without the schema is never half-used: the error says to run `byot db upgrade`."""
    url = sqlite_url(tmp_path)
    with pytest.raises(SchemaOutOfDate, match="byot db upgrade"):
        await SqlStorage.open(url)
    storage = await SqlStorage.open(url, upgrade_schema=True)
    await storage.close()
    reopened = await SqlStorage.open(url)
    await reopened.close()


def test_upgrade_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`byot db upgrade --database-url` migrates, and says so; a second run has nothing to do."""
    import sqlite3

    from byot_core.cli import main

    url = sqlite_url(tmp_path)
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert "upgraded" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert "already at" in capsys.readouterr().out
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"byot_trunks", "byot_phone_numbers", "alembic_version"} <= tables


@pytest.mark.parametrize("backend", SQL_BACKENDS)
async def test_upgrades_run_at_once_take_turns(backend: str, tmp_path: Path) -> None:
    """Three `byot db upgrade` at once on an empty database (instances starting together): one migrates, none fails."""
    url = await empty_database_url(backend, tmp_path)
    databases = [Database(url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(upgrade(d) for d in databases))
    finally:
        for database in databases:
            await database.dispose()
    head = head_revision()
    assert sorted(str(before) for before, _ in results) == sorted(["None", head, head])
    assert {after for _, after in results} == {head}


@pytest.mark.parametrize("backend", SQL_BACKENDS)
async def test_a_newer_schema_is_served_and_an_older_one_refused(backend: str, tmp_path: Path) -> None:
    """During a rolling upgrade, an instance of the release before serves on the newer (added-to) schema."""
    url = await database_url(backend, tmp_path)
    database = Database(url)
    try:

        def stamp(revision: str) -> Callable[[Connection], object]:
            return lambda conn: conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})

        await database.run(stamp("9001_from_a_later_release"))
        await check_schema(database)  # accepted, with a warning in the log
        await database.run(stamp("0007"))
        with pytest.raises(SchemaOutOfDate, match="byot db upgrade"):
            await check_schema(database)
    finally:
        await database.dispose()
