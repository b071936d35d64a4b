"""Units of work on SQLAlchemy's engines and pools: one session, one connection, one transaction.

The repositories are written once, as plain functions of a SQLAlchemy ``Connection``, and a session runs them:

- PostgreSQL (:class:`PostgresSession`): asyncpg engines, the functions run with ``AsyncConnection.run_sync``. A
  writing session runs in ``READ COMMITTED``; a read-only one in ``REPEATABLE READ READ ONLY`` (one snapshot for
  every statement), or, without ``snapshot``, on the engine whose connections are in autocommit.
- SQLite (:class:`~byot_core.adapters.sql.sqlite.SqliteSession`): the standard library's driver, the functions
  called on the event loop; one writer connection that writing sessions take in turn, readers beside it in WAL mode.
  Why on the event loop and not in threads: docs/decisions.md, "SQLite runs on the event loop".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from byot_core.adapters.sql import engine as _engine
from byot_core.adapters.sql.driver_select import DriverSelect
from byot_core.adapters.sql.engine import (
    POSTGRES_CONNECTIONS,
    SQLITE_READERS,
    backend_of,
    conflicts_as_busy,
    make_postgres_engine,
    make_sqlite_engine,
)
from byot_core.adapters.sql.sqlite import SqliteSession
from byot_core.domain.errors import StorageBusy
from byot_core.ports.storage import ReadOnlyUnitOfWork

__all__ = ["Database", "PostgresSession", "Session"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Session(Protocol):
    """One connection and its transaction, begun on first use and ended by :meth:`commit` or :meth:`close`."""

    @property
    def read_only(self) -> bool:
        """Whether the session only reads."""

    async def run(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Run ``fn(connection, *args)`` in this session; ``write=False`` promises ``fn`` only reads."""

    async def select(self, query: DriverSelect, params: Mapping[str, Any]) -> Sequence[Mapping[Any, Any]]:
        """The rows ``query`` reads with ``params``, each by column name."""

    async def commit(self) -> None:
        """Commit what was begun and give the connection back (a later use begins a new transaction)."""

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""


class Database:
    """The engines of one database, and the sessions that run work on them."""

    def __init__(self, url: str) -> None:
        self.backend = backend_of(url)
        self._engines: tuple[Engine, ...]
        if self.backend == "sqlite":
            #: SQLite: the engine of the one writing connection, and that of the readers beside it.
            self.writer = make_sqlite_engine(url, connections=1, writer=True)
            self.reader = make_sqlite_engine(url, connections=SQLITE_READERS, writer=False)
            #: SQLite writing sessions of this process take turns on the writer, first come first served.
            self.turn = asyncio.Lock()
            #: SQLite reading sessions at once: as many as reader connections, so none ever waits for the pool.
            self.readers = asyncio.Semaphore(SQLITE_READERS)
            self._engines = (self.writer, self.reader)
        else:
            #: PostgreSQL: transactions (writes, snapshot reads), and reads in autocommit.
            self.transactional = make_postgres_engine(url)
            # Nothing to roll back when a connection is given back: no transaction is ever begun on them.
            self.autocommit = make_postgres_engine(url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
            self._engines = (self.transactional.sync_engine, self.autocommit.sync_engine)
            # A turn for each connection of each engine, taken before its pool is asked: an asyncio.Semaphore serves
            # waiters in the order they came, where the pool's own queue lets a newcomer take a connection given back
            # before the session woken for it runs (under a steady load of GETs, a p99 of 5.6x the plain program's).
            self.turns = {
                self.transactional: asyncio.Semaphore(POSTGRES_CONNECTIONS),
                self.autocommit: asyncio.Semaphore(POSTGRES_CONNECTIONS),
            }

    @property
    def events_targets(self) -> tuple[Engine, ...]:
        """The synchronous engines that SQLAlchemy events attach to (for instrumentation)."""
        return self._engines

    def session(self, *, read_only: bool = False, snapshot: bool = True) -> Session:
        """A new session; a ``read_only`` one reads one snapshot unless ``snapshot=False``."""
        if self.backend == "sqlite":
            return SqliteSession(self.writer, self.reader, self.turn, self.readers, read_only=read_only)
        return PostgresSession(self, read_only=read_only, snapshot=snapshot)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in a transaction of its own, committed if it returns."""
        session = self.session()
        try:
            result = await session.run(fn, *args)
            await session.commit()
            return result
        finally:
            await session.close()

    async def dispose(self) -> None:
        """Close every connection."""
        if self.backend == "sqlite":
            async with self.turn:
                self.writer.dispose()
            self.reader.dispose()
        else:
            await self.transactional.dispose()
            await self.autocommit.dispose()


class PostgresSession:
    """A PostgreSQL session (see :class:`Session`): one pooled asyncpg connection, its work run with ``run_sync``.

    A wait for a connection longer than the connection timeout (10 s) is :class:`StorageBusy`, as are the database's
    own refusals for a conflicting transaction (a deadlock, a serialization failure).
    """

    def __init__(self, database: Database, *, read_only: bool = False, snapshot: bool = True) -> None:
        self._database = database
        self._read_only = read_only
        self._snapshot = snapshot
        self._connection: AsyncConnection | None = None
        self._turn: asyncio.Semaphore | None = None

    @property
    def read_only(self) -> bool:
        """Whether the session only reads."""
        return self._read_only

    async def run(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Run ``fn(connection, *args)`` in this session; ``write=False`` promises ``fn`` only reads."""
        if write and self._read_only:
            raise ReadOnlyUnitOfWork("this unit of work was opened read-only")
        with conflicts_as_busy():
            return await self._run(fn, *args)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._on_connection(lambda connection: connection.run_sync(fn, *args))

    async def select(self, query: DriverSelect, params: Mapping[str, Any]) -> Sequence[Mapping[Any, Any]]:
        """The rows ``query`` reads with ``params``; sent on the driver unless the session reads a snapshot.

        See :mod:`.driver_select`. A snapshot is begun by SQLAlchemy at its first statement, so a select sent past it
        could read outside the snapshot; every other session sees the latest commit with each statement, whether the
        select is sent before or inside its transaction.
        """
        if self._read_only and self._snapshot:
            return await self.run(query.read, params, write=False)
        return await self._on_connection(lambda connection: query.fetch(connection, params))

    async def _on_connection(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work`` on the session's connection, taken on first use; run again once if that one was found dead."""
        if self._connection is not None:
            return await work(self._connection)
        connection = await self._connect()
        try:
            return await work(connection)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # SQLAlchemy saw the connection lost (under a statement it ran) and renewed its pool itself.
        except Exception:
            if not await DriverSelect.connection_lost(connection):
                raise
            # Lost under a statement sent on the driver: the pool is told, and renewed, as SQLAlchemy would (the
            # server most likely ended the pool's other connections too), so that none of them is given out again.
            await connection.invalidate()
            await connection.engine.dispose(close=False)
        log.info("a PostgreSQL connection had been dropped by the server: the statement runs on a new one")
        # The connection died before this session had done anything on it (pooled while the server restarted or
        # dropped it): nothing happened, so the work runs again, once, on a new connection. Whatever it began there
        # was rolled back by the server when the connection ended.
        await self.close()
        return await work(await self._connect())

    async def _connect(self) -> AsyncConnection:
        database = self._database
        plain = self._read_only and not self._snapshot
        engine: AsyncEngine = database.autocommit if plain else database.transactional
        turn = database.turns[engine]
        try:
            async with asyncio.timeout(_engine.CONNECT_TIMEOUT_SECONDS):
                await turn.acquire()
        except TimeoutError:
            raise StorageBusy() from None
        try:
            connection = await engine.connect()
        except BaseException:
            turn.release()
            raise
        self._turn = turn
        self._connection = connection
        if self._read_only and self._snapshot:
            # One snapshot for every statement: a trunk and its gateways from the same commit.
            await connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        return connection

    async def commit(self) -> None:
        """Commit what was begun and give the connection back (a later use begins a new transaction)."""
        if self._read_only:
            await self.close()  # nothing was written: ending the transaction is all a commit would do
            return
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            with conflicts_as_busy():
                await connection.commit()
        finally:
            await self._give_back(connection)

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await self._give_back(connection)

    async def _give_back(self, connection: AsyncConnection) -> None:
        try:
            await connection.close()
        finally:
            turn, self._turn = self._turn, None
            if turn is not None:
                turn.release()
