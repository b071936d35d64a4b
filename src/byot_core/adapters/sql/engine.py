"""Engines for SQLite (the standard library's ``sqlite3``) and PostgreSQL (asyncpg).

SQLite: WAL journal (readers never block the writer), a busy timeout, foreign keys on, and every transaction begun
with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the lock instead of failing when a read transaction
tries to become a write one. SQLAlchemy, not the driver, begins transactions, which also makes savepoints work.
PostgreSQL: connection and statement timeouts on every connection; connections are recycled rather than pinged
before each use (a ping costs a round trip on every unit of work).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "POSTGRES_CONNECTIONS",
    "STATEMENT_TIMEOUT_SECONDS",
    "backend_of",
    "database_url",
    "make_postgres_engine",
    "make_sqlite_engine",
    "normalise_url",
]

#: Seconds to wait for a connection (and, on SQLite, for the write lock).
CONNECT_TIMEOUT_SECONDS = 10
#: Seconds one statement may run.
STATEMENT_TIMEOUT_SECONDS = 30
# PostgreSQL connections a process holds at most: those its pool keeps, and as many again opened under load.
_POOL_SIZE = 10
_POOL_OVERFLOW = 10
#: PostgreSQL connections one process's engine opens at most.
POSTGRES_CONNECTIONS = _POOL_SIZE + _POOL_OVERFLOW


def database_url(value: str) -> str:
    """The database URL that ``value`` names: a URL as it is, or a plain file path as an SQLite URL.

    Raises ``ValueError`` with one line saying what is accepted (never repeating the value, which may hold a
    password) for an empty value or a URL that cannot be read.
    """
    text = value.strip()
    if not text:
        raise ValueError("the database URL is empty: use a file path, sqlite:///path or postgresql://…")
    if "://" not in text:
        return f"sqlite:///{text}"
    try:
        make_url(text)
    except (ArgumentError, ValueError):
        raise ValueError("the database URL cannot be read: use a file path, sqlite:///path or postgresql://…") from None
    return text


def normalise_url(url: str) -> str:
    """Accept ``sqlite:///file``, a plain file path and ``postgresql://…`` (or ``postgres://``); name the drivers."""
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def backend_of(url: str) -> str:
    """``"sqlite"`` or ``"postgresql"``; anything else is refused."""
    backend = make_url(database_url(url)).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {backend!r}: use sqlite:///path or postgresql://…")
    return backend


def make_sqlite_engine(url: str, **options: Any) -> Engine:
    """A synchronous SQLite engine (see :mod:`.database` for how it is driven without blocking the event loop)."""
    engine = create_engine(
        normalise_url(url),
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, "check_same_thread": False},
        # Parameters hold sealed passwords and customers' numbers: no error message or log line may carry them.
        hide_parameters=True,
        **options,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={CONNECT_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Sessions begin on the driver themselves (a deferred BEGIN to read, BEGIN IMMEDIATE to write: see
        # database.py); a transaction begun any other way queues for the write lock.
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_postgres_engine(url: str, **options: Any) -> AsyncEngine:
    """An asyncpg engine with timeouts, opening at most :data:`POSTGRES_CONNECTIONS` connections.

    :class:`~byot_core.adapters.sql.database.Database` gives its sessions as many turns (the pool is never waited for).
    """
    connect_args = {
        "timeout": CONNECT_TIMEOUT_SECONDS,
        "command_timeout": STATEMENT_TIMEOUT_SECONDS,
        "server_settings": {"statement_timeout": str(STATEMENT_TIMEOUT_SECONDS * 1000)},
    }
    options.setdefault("hide_parameters", True)  # no parameters (sealed passwords, numbers) in errors or logs
    options.setdefault("pool_recycle", 1800)
    options.setdefault("pool_timeout", CONNECT_TIMEOUT_SECONDS)
    options.setdefault("pool_size", _POOL_SIZE)
    options.setdefault("max_overflow", _POOL_OVERFLOW)
    return create_async_engine(normalise_url(url), connect_args=connect_args, **options)
