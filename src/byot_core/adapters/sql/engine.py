"""SQLAlchemy engines for SQLite (the standard library's driver) and PostgreSQL (asyncpg).

SQLite: WAL journal (readers never block the writer), a busy timeout, foreign keys on; one writer connection whose
transactions begin with ``BEGIN IMMEDIATE``, and reader connections beside it. PostgreSQL: connection and statement
timeouts on every connection; connections are recycled rather than pinged before each use (a ping costs a round trip
on every unit of work).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from byot_core.domain.errors import StorageBusy

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "POSTGRES_CONNECTIONS",
    "SQLITE_READERS",
    "STATEMENT_TIMEOUT_SECONDS",
    "backend_of",
    "conflicts_as_busy",
    "database_url",
    "make_postgres_engine",
    "make_sqlite_engine",
    "normalise_url",
    "refused_for_conflict",
]

#: Seconds to wait for a connection (and, on SQLite, for the write lock).
CONNECT_TIMEOUT_SECONDS = 10
#: Seconds one statement may run.
STATEMENT_TIMEOUT_SECONDS = 30
# PostgreSQL connections each engine keeps. None more under load: connections opened beyond the pool's size are closed
# when given back, and under a steady load that churn put a GET's p99 at 4x the plain program's.
_POOL_SIZE = 10
#: SQLite connections reading beside the writer's.
SQLITE_READERS = 4
#: PostgreSQL connections one engine opens at most (a process has two engines: see :mod:`.database`).
POSTGRES_CONNECTIONS = _POOL_SIZE


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


def make_sqlite_engine(url: str, *, connections: int, writer: bool) -> Engine:
    """A SQLite engine of ``connections`` pooled connections, in WAL mode, whose driver begins nothing of its own.

    Sessions begin their transactions on the driver themselves (see :mod:`.sqlite`): the writer with ``BEGIN
    IMMEDIATE``, so a writing transaction holds the write lock from its start (a deferred transaction that later
    writes can fail when another process wrote meanwhile); readers with a deferred ``BEGIN``, so each reads a snapshot
    beside the writer and waits for no lock. The writer's busy timeout is 0: it runs on the event loop, and waits for
    a lock another process holds in a worker thread instead.
    """
    engine = create_engine(
        normalise_url(url),
        pool_size=connections,
        max_overflow=0,
        # Used from the event loop's thread, and from a worker thread while a writer waits for another process.
        connect_args={"check_same_thread": False},
        # Parameters hold sealed passwords and customers' numbers: no error message or log line may carry them.
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver begins nothing of its own: sessions do
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={0 if writer else int(CONNECT_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # In WAL mode a commit then appends to the WAL without syncing the disk: a killed process loses nothing
        # committed (a power cut may lose the last commits). See docs/decisions.md.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def make_postgres_engine(url: str, **options: Any) -> AsyncEngine:
    """An asyncpg engine with timeouts, opening at most :data:`POSTGRES_CONNECTIONS` connections.

    A session waits for a connection at most :data:`CONNECT_TIMEOUT_SECONDS` (then the database is busy).
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
    options.setdefault("max_overflow", 0)
    return create_async_engine(normalise_url(url), connect_args=connect_args, **options)


# PostgreSQL's deadlock and serialization failures: the transaction lost to another and may simply be run again.
_CONFLICT_STATES = frozenset({"40P01", "40001"})


@contextlib.contextmanager
def conflicts_as_busy() -> Iterator[None]:
    """Raise the database's refusals for a conflicting transaction as :class:`StorageBusy` (the work may run again)."""
    try:
        yield
    except DBAPIError as error:
        if refused_for_conflict(error):
            raise StorageBusy() from error
        raise


def refused_for_conflict(error: DBAPIError) -> bool:
    """Whether the database refused a statement for a conflicting transaction (not for what it asked)."""
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in _CONFLICT_STATES:
        return True
    # SQLite: the write lock was not free within the busy timeout.
    return "database is locked" in str(original)
