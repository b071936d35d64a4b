"""Making an async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), with timeouts and SQLite's quirks handled.

SQLite: WAL journal (readers never block the writer), a busy timeout, foreign keys on, and every transaction begun
with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the lock instead of failing when a read transaction
tries to become a write one. SQLAlchemy is told not to let the driver begin transactions itself, which also makes
savepoints work. PostgreSQL: connection and statement timeouts on every connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["CONNECT_TIMEOUT_SECONDS", "STATEMENT_TIMEOUT_SECONDS", "make_engine", "normalise_url"]

#: Seconds to wait for a connection (and, on SQLite, for the write lock).
CONNECT_TIMEOUT_SECONDS = 10
#: Seconds one statement may run.
STATEMENT_TIMEOUT_SECONDS = 30


def normalise_url(url: str) -> str:
    """Accept ``sqlite:///file``, ``postgresql://…`` and ``postgres://…`` and name the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **options: Any) -> AsyncEngine:
    """An engine for the URL, configured for this library's transactions."""
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS}, **options)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={CONNECT_TIMEOUT_SECONDS * 1000}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if backend == "postgresql":
        connect_args = {
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "command_timeout": STATEMENT_TIMEOUT_SECONDS,
            "server_settings": {"statement_timeout": str(STATEMENT_TIMEOUT_SECONDS * 1000)},
        }
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_timeout", CONNECT_TIMEOUT_SECONDS)
        return create_async_engine(url, connect_args=connect_args, **options)
    raise ValueError(f"unsupported database {backend!r}: use sqlite:///path or postgresql://…")
