"""Running synchronous SQLAlchemy code against either backend without blocking the event loop.

The repositories are written once, as plain functions of a SQLAlchemy ``Connection``. On PostgreSQL they run through
``AsyncConnection.run_sync`` (each statement is real asyncpg I/O, awaited); on SQLite, an in-process library, each
repository call runs whole in a worker thread. That is one thread hop per call, where aiosqlite makes several per
statement: a routing read costs about 0.3 ms instead of 1.3 ms (see docs/decisions.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from byot_core.adapters.sql.engine import backend_of, make_postgres_engine, make_sqlite_engine
from byot_core.domain.errors import StorageBusy
from byot_core.ports.storage import ReadOnlyUnitOfWork

__all__ = ["Database", "Session"]

T = TypeVar("T")
# SQLite connections (and worker threads) of one process: one writer at a time, the others reading beside it.
_SQLITE_CONNECTIONS = 4


# PostgreSQL's deadlock and serialization failures: the transaction lost to another and may simply be run again.
_CONFLICT_STATES = frozenset({"40P01", "40001"})


def _conflict(error: DBAPIError) -> bool:
    """Whether the database refused the statement for a conflicting transaction (not for what it asked)."""
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if state in _CONFLICT_STATES:
        return True
    # SQLite: the write lock was not free within the busy timeout.
    return "database is locked" in str(error.orig)


class Session:
    """One connection and its transaction, on either backend.

    On PostgreSQL, reads before the first write run in autocommit: under READ COMMITTED each statement sees the
    committed data of its start either way, and a read then costs no BEGIN and ROLLBACK round trips. The first write
    begins the transaction, and every later statement of the session runs inside it (so reads see its writes).
    On SQLite a writing session is one ``BEGIN IMMEDIATE`` transaction, begun on first use; writing sessions of one
    process take turns (an asyncio lock, held from first use to close). Without that, worker threads could all be
    waiting in ``BEGIN IMMEDIATE`` for the write lock while the session holding it waits for a free thread. A
    read-only session is a deferred transaction: WAL gives it a snapshot beside the writer, so it waits for nobody;
    a semaphore keeps readers to the connections not kept for the writer.
    """

    def __init__(self, database: Database, *, read_only: bool = False, snapshot: bool = True) -> None:
        self._database = database
        self._read_only = read_only
        self._snapshot = snapshot
        self._sync: Connection | None = None
        self._async: AsyncConnection | None = None
        self._transactional = False
        self._holds_turn = False
        self._holds_reader = False

    @property
    def read_only(self) -> bool:
        """Whether the session only reads."""
        return self._read_only

    async def _async_connection(self, write: bool) -> AsyncConnection:
        engine = self._database.async_engine
        assert engine is not None
        if self._async is None and self._read_only and self._snapshot:
            # One snapshot for every statement: a trunk and its gateways from the same commit.
            self._async = await engine.connect()
            await self._async.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            await self._async.begin()
            self._transactional = True
            return self._async
        if self._async is None:
            self._async = await engine.connect()
            await self._async.execution_options(isolation_level="AUTOCOMMIT")
        if write and not self._transactional:
            await self._async.commit()  # closes SQLAlchemy's autocommit bookkeeping; nothing is sent
            await self._async.execution_options(isolation_level="READ COMMITTED")
            await self._async.begin()
            self._transactional = True
        return self._async

    async def run(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Run ``fn(connection, *args)`` in this session; ``write=False`` promises ``fn`` only reads."""
        if write and self._read_only:
            raise ReadOnlyUnitOfWork("this unit of work was opened read-only")
        try:
            return await self._run(fn, *args, write=write)
        except DBAPIError as error:
            if _conflict(error):
                raise StorageBusy() from error
            raise

    async def _run(self, fn: Callable[..., T], *args: Any, write: bool) -> T:
        database = self._database
        if database.async_engine is not None:
            conn = await self._async_connection(write)
            return await conn.run_sync(fn, *args)

        if self._sync is None and not self._holds_turn and not self._read_only:
            await database.turn.acquire()
            self._holds_turn = True
        if self._sync is None and not self._holds_reader and self._read_only:
            # At most as many readers as connections beside the writer's: a worker thread never waits for one.
            await database.readers.acquire()
            self._holds_reader = True

        def job() -> T:
            if self._sync is None:
                if self._read_only:
                    connection = database.reader()
                else:
                    assert database.sync_engine is not None
                    connection = database.sync_engine.connect()
                self._sync = connection
                self._sync.begin()
            return fn(self._sync, *args)

        try:
            if self._read_only:
                # A read of a few indexed rows takes SQLite tens of microseconds, less than a trip to a worker
                # thread and back; in WAL mode it waits for no lock. So reads run on the event loop.
                return job()
            return await database.in_thread(job)
        except BaseException:
            if self._sync is None:  # the connection could not even be made: give the turn back now
                self._release_turn()
            raise

    def _release_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            self._database.turn.release()
        if self._holds_reader:
            self._holds_reader = False
            self._database.readers.release()

    async def commit(self) -> None:
        """Commit, if anything was begun (a serialization failure at commit is :class:`StorageBusy`).

        On SQLite the connection goes back to the pool in the same trip to the worker thread, and the writers' turn is
        given back: a later use of the session begins a new transaction.
        """
        try:
            if self._async is not None:
                await self._async.commit()
            elif self._sync is not None:
                sync = self._sync

                def commit_and_release() -> None:
                    sync.commit()
                    sync.close()

                if self._read_only:
                    sync.rollback()  # nothing was written: ending the snapshot is all a commit would do
                    self._database.reader_done(sync)
                else:
                    await self._database.in_thread(commit_and_release)
                self._sync = None
                self._release_turn()
        except DBAPIError as error:
            if _conflict(error):
                raise StorageBusy() from error
            raise

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        if self._async is not None:
            conn, self._async = self._async, None
            self._transactional = False
            try:
                if conn.in_transaction():
                    await conn.rollback()
            finally:
                await conn.close()
        elif self._sync is not None:
            sync, self._sync = self._sync, None

            def end() -> None:
                try:
                    if sync.in_transaction():
                        sync.rollback()
                finally:
                    sync.close()

            try:
                if self._read_only:
                    if sync.in_transaction():
                        sync.rollback()
                    self._database.reader_done(sync)
                else:
                    await self._database.in_thread(end)
            finally:
                self._release_turn()


class Database:
    """An engine of either backend, and the means to run synchronous code on it."""

    def __init__(self, url: str) -> None:
        self.backend = backend_of(url)
        self.sync_engine: Engine | None = None
        self.async_engine: AsyncEngine | None = None
        self._executor: ThreadPoolExecutor | None = None
        #: SQLite writing sessions of this process take turns (see :class:`Session`).
        self.turn = asyncio.Lock()
        #: SQLite reading sessions open at once: every connection but the one kept for the writer.
        self.readers = asyncio.Semaphore(_SQLITE_CONNECTIONS - 1)
        # Reading connections kept between read-only sessions: checking one out of the pool and back cost more than
        # the reads of a GET (about 60 µs of 155). They are used on the event loop only.
        self._idle_readers: list[Connection] = []
        if self.backend == "sqlite":
            self.sync_engine = make_sqlite_engine(url, pool_size=_SQLITE_CONNECTIONS, max_overflow=0)
            self._executor = ThreadPoolExecutor(max_workers=_SQLITE_CONNECTIONS, thread_name_prefix="byot-sqlite")
        else:
            self.async_engine = make_postgres_engine(url)

    @property
    def events_target(self) -> Engine:
        """The synchronous engine that SQLAlchemy events attach to."""
        if self.async_engine is not None:
            return self.async_engine.sync_engine
        assert self.sync_engine is not None
        return self.sync_engine

    def reader(self) -> Connection:
        """A connection for a read-only session (SQLite): an idle one, or a new one set to begin deferred."""
        if self._idle_readers:
            return self._idle_readers.pop()
        assert self.sync_engine is not None
        return self.sync_engine.connect().execution_options(byot_deferred=True)

    def reader_done(self, connection: Connection) -> None:
        """Keep a reading connection, its transaction ended, for the next read-only session."""
        if connection.invalidated or connection.closed:
            connection.close()
        else:
            self._idle_readers.append(connection)

    async def in_thread(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a worker thread (SQLite)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in a transaction of its own, committed if it returns."""
        session = Session(self)
        try:
            result = await session.run(fn, *args)
            await session.commit()
            return result
        finally:
            await session.close()

    async def dispose(self) -> None:
        """Close every connection."""
        if self.async_engine is not None:
            await self.async_engine.dispose()
        if self.sync_engine is not None:
            idle, self._idle_readers = self._idle_readers, []
            for connection in idle:
                connection.close()
            engine = self.sync_engine
            await self.in_thread(engine.dispose)
        if self._executor is not None:
            self._executor.shutdown(wait=False)
