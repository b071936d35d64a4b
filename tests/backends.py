"""Storage backends for the tests: memory, SQLite (a file per test) and PostgreSQL (a fresh database per test).

PostgreSQL is reached through ``BYOT_TEST_POSTGRES_URL`` (``.ci/run`` starts a throwaway server and sets it). Without
it the PostgreSQL tests skip, saying why; with ``CI=true`` that skip is a failure instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from byot_core.adapters.memory import MemoryStorage
from byot_core.adapters.sql import Database, SqlStorage, upgrade
from byot_core.adapters.sql.engine import normalise_url
from byot_core.ports.storage import Storage

BACKENDS = ["memory", "sqlite", "postgres"]
SQL_BACKENDS = ["sqlite", "postgres"]
POSTGRES_URL = os.environ.get("BYOT_TEST_POSTGRES_URL")
_TEMPLATE = "byot_template"
_template_ready = False
#: The databases this test session made, dropped when it ends (a server kept between runs would fill up with them).
_made: list[str] = []


def require_postgres() -> str:
    """The PostgreSQL URL, or skip (fail under CI) when there is none."""
    if POSTGRES_URL:
        return POSTGRES_URL
    reason = "BYOT_TEST_POSTGRES_URL is not set (scripts/postgres.sh starts a throwaway server)"
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot be skipped in CI: {reason}")
    pytest.skip(reason)


def _with_database(url: str, name: str) -> str:
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE DATABASE cannot run inside one)."""
    engine = create_async_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def drop_made_databases() -> None:
    """Drop every database this session made, and the template (connections still open to them are ended)."""
    global _template_ready
    if POSTGRES_URL and _made:
        made = [*_made, _TEMPLATE]
        _made.clear()
        _template_ready = False
        await _admin(POSTGRES_URL, *(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in made))


async def migrate(url: str) -> None:
    """Bring a database to the code's schema."""
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()


async def fresh_postgres_url() -> str:
    """A new, migrated, empty database (copied from a template migrated once per session)."""
    global _template_ready
    base = require_postgres()
    if not _template_ready:
        await _admin(base, f"DROP DATABASE IF EXISTS {_TEMPLATE}", f"CREATE DATABASE {_TEMPLATE}")
        await migrate(_with_database(base, _TEMPLATE))
        _template_ready = True
    name = f"byot_test_{uuid.uuid4().hex[:12]}"
    await _admin(base, f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
    _made.append(name)
    return _with_database(base, name)


async def empty_database_url(backend: str, folder: Path) -> str:
    """A URL of a new database of that backend with no schema at all."""
    if backend == "postgres":
        base = require_postgres()
        name = f"byot_empty_{uuid.uuid4().hex[:12]}"
        await _admin(base, f"CREATE DATABASE {name}")
        _made.append(name)
        return _with_database(base, name)
    return sqlite_url(folder)


def sqlite_url(folder: Path) -> str:
    """A new SQLite file in the folder."""
    return f"sqlite:///{folder / f'byot-{uuid.uuid4().hex[:8]}.sqlite3'}"


async def database_url(backend: str, folder: Path) -> str:
    """A URL of a new, migrated, empty database of that backend."""
    if backend == "postgres":
        return await fresh_postgres_url()
    url = sqlite_url(folder)
    await migrate(url)
    return url


@asynccontextmanager
async def open_storages(backend: str, folder: Path) -> AsyncIterator[list[Storage]]:
    """Yields a list that :func:`new_storage` fills; closes them all at the end."""
    opened: list[Storage] = []
    try:
        yield opened
    finally:
        for storage in opened:
            if isinstance(storage, SqlStorage):
                await storage.close()


async def new_storage(backend: str, folder: Path, opened: list[Storage]) -> Storage:
    """A fresh, empty storage of that backend."""
    storage: Storage
    if backend == "memory":
        storage = MemoryStorage()
    else:
        storage = await SqlStorage.open(await database_url(backend, folder))
    opened.append(storage)
    return storage
