"""Running synchronous SQLAlchemy code against either backend without blocking the event loop for long.

The repositories are written once, as plain functions of a SQLAlchemy ``Connection``. On PostgreSQL they run through
``AsyncConnection.run_sync`` (each statement is real asyncpg I/O, awaited). On SQLite, an in-process library whose
short statements cost less than a trip to a worker thread and back, they run on the event loop, as long as nothing
can make them wait: reads see a WAL snapshot and wait for no lock; a writing transaction first takes the write lock
without waiting, and only when another process holds it waits for it in a worker thread. Its commit does not sync
the disk (WAL, ``synchronous=NORMAL``) and never checkpoints: checkpoints run in a worker thread (see
docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from byot_core.adapters.sql.common import on_asyncpg, sqlite_driver
from byot_core.adapters.sql.engine import (
    CONNECT_TIMEOUT_SECONDS,
    POSTGRES_CONNECTIONS,
    backend_of,
    make_postgres_engine,
    make_sqlite_engine,
)
from byot_core.domain.errors import StorageBusy
from byot_core.ports.storage import ReadOnlyUnitOfWork

__all__ = ["Database", "Session"]

log = logging.getLogger(__name__)

T = TypeVar("T")
# SQLite connections (and worker threads) of one process: one writer at a time, the others reading beside it.
_SQLITE_CONNECTIONS = 4
# PostgreSQL connections kept between sessions, and for how long (the pool recycles its own after as long).
_KEPT_AUTOCOMMIT = 10
_KEEP_SECONDS = 1800.0
# Commits on SQLite between two checkpoints of the WAL: about 1,000 pages for a trunk's create, SQLite's own default.
_CHECKPOINT_EVERY = 250


# PostgreSQL's deadlock and serialization failures: the transaction lost to another and may simply be run again.
_CONFLICT_STATES = frozenset({"40P01", "40001"})


def _conflict(error: DBAPIError) -> bool:
    """Whether the database refused the statement for a conflicting transaction (not for what it asked)."""
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if state in _CONFLICT_STATES:
        return True
    # SQLite: the write lock was not free within the busy timeout.
    return _locked(error.orig)


def _locked(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "database is locked" in str(error)


class _Batch:
    """Writing sessions of one SQLite transaction, committed together (see :meth:`Database.begin_unit`)."""

    __slots__ = ("waiting",)

    def __init__(self) -> None:
        # One for each session whose work the transaction holds, done when the transaction is committed.
        self.waiting: list[asyncio.Future[None]] = []


class _Unit:
    """A writing session's place in its batch: whether it began the transaction, or after a savepoint of its own."""

    __slots__ = ("batch", "opened", "savepoint")

    def __init__(self, batch: _Batch, *, opened: bool, savepoint: bool) -> None:
        self.batch = batch
        self.opened = opened
        self.savepoint = savepoint


class Session:
    """One connection and its transaction, on either backend.

    On PostgreSQL a session first waits for a turn to hold a connection (first come, first served: see
    :meth:`Database.connection_turn`). Reads before the first write run in autocommit: under READ COMMITTED each
    statement sees the committed data of its start either way, and a read then costs no BEGIN and ROLLBACK round
    trips. The first write begins the transaction, and every later statement of the session runs inside it (so reads
    see its writes).
    On SQLite a writing session is a unit of a batch: writing sessions of one process take turns (an asyncio lock,
    held from first use to commit or close) on the process's one writing connection, in one ``BEGIN IMMEDIATE``
    transaction that the sessions of a batch share, each after a savepoint of its own (see
    :meth:`Database.begin_unit`). A session's commit returns once the batch's transaction is committed. Its
    statements run on the event loop; with ``offload`` (long work: migrations) it is a transaction of its own, run in
    a worker thread. A read-only session is a deferred transaction: WAL gives it a snapshot beside the writer, so it
    waits for nobody; a semaphore keeps readers to the connections not kept for the writer.

    With ``autocommit`` the session runs one write statement, for work that is one statement (recording a sync
    state): on PostgreSQL it commits on its own, with no transaction begun around it; on SQLite it joins the batch
    without a savepoint (SQLite undoes a failed statement on its own). It still takes a connection turn (PostgreSQL)
    or the writers' turn (SQLite).
    """

    def __init__(
        self,
        database: Database,
        *,
        read_only: bool = False,
        snapshot: bool = True,
        offload: bool = False,
        autocommit: bool = False,
    ) -> None:
        self._database = database
        self._read_only = read_only
        self._snapshot = snapshot
        self._offload = offload
        self._autocommit = autocommit
        self._sync: Connection | None = None
        self._async: AsyncConnection | None = None
        self._transactional = False  # a snapshot reader's transaction, begun by SQLAlchemy
        self._begun = False  # a writing transaction, begun on asyncpg directly
        self._holds_turn = False
        self._holds_reader = False
        self._holds_connection = False  # PostgreSQL: one of the process's connections (see Database.connection_turn)
        self._unit: _Unit | None = None  # SQLite: this writing session's place in its batch

    @property
    def read_only(self) -> bool:
        """Whether the session only reads."""
        return self._read_only

    async def _async_connection(self, write: bool) -> AsyncConnection:
        if self._async is None and not self._holds_connection:
            await self._database.connection_turn()
            self._holds_connection = True
        try:
            return await self._open_async(write)
        except BaseException:
            if self._async is None:
                self._release_connection()
            raise

    async def _open_async(self, write: bool) -> AsyncConnection:
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
            self._async = await self._database.autocommit_connection()
        if write and not self._begun and not self._autocommit:
            # Begun on asyncpg directly: the connection stays in autocommit for SQLAlchemy, which then begins nothing
            # of its own, and every statement, whoever sends it, runs in this transaction. Switching SQLAlchemy's
            # isolation level there and back cost about 0.1 ms of CPU a unit of work.
            await self._async.run_sync(_send, "BEGIN ISOLATION LEVEL READ COMMITTED")
            self._begun = True
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
            first = self._async is None
            try:
                conn = await self._async_connection(write)
                return await conn.run_sync(fn, *args)
            except DBAPIError as error:
                if not (first and error.connection_invalidated):
                    raise
                log.info("a PostgreSQL connection had been dropped by the server: the statement runs on a new one")
            # The connection died before this session had done anything on it (kept or pooled while the server
            # restarted or dropped it): nothing happened, so the work runs again, once, on a new connection. A
            # transaction it began there was rolled back by the server when the connection ended.
            await self._give_back_async()
            conn = await self._async_connection(write)
            return await conn.run_sync(fn, *args)

        if self._read_only:
            if self._sync is None:
                if not self._holds_reader:
                    # At most as many readers as connections beside the writer's: none ever waits for a connection.
                    await database.readers.acquire()
                    self._holds_reader = True
                try:
                    self._sync = database.reader()
                except BaseException:
                    self._release_turn()
                    raise
                # Deferred: no lock, a snapshot from the first read. Sent to the driver directly (SQLAlchemy's own
                # begin and rollback cost a tenth of a GET); ended by commit() or close(), even if it fails.
                sqlite_driver(self._sync).execute("BEGIN")
            # A read of a few indexed rows takes SQLite tens of microseconds, less than a trip to a worker thread and
            # back; in WAL mode it waits for no lock. So reads run on the event loop.
            return fn(self._sync, *args)
        if self._sync is None:
            if not self._holds_turn:
                await database.take_turn()
                self._holds_turn = True
            try:
                if self._offload:
                    self._sync = await database.begin_alone()
                else:
                    self._sync, self._unit = await database.begin_unit(savepoint=not self._autocommit)
            except BaseException:
                self._release_turn()
                raise
        sync = self._sync
        if self._offload:
            return await database.in_thread(lambda: fn(sync, *args))
        return fn(sync, *args)

    def _release_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            self._database.turn.release()
        if self._holds_reader:
            self._holds_reader = False
            self._database.readers.release()

    async def commit(self) -> None:
        """Commit, if anything was begun (a serialization failure at commit is :class:`StorageBusy`).

        On SQLite the writers' turn is given back: a later use of the session begins a new transaction.
        """
        try:
            if self._async is not None:
                await self._async.commit()  # SQLAlchemy's own (in autocommit, it sends nothing)
                if self._begun:
                    await self._async.run_sync(_send, "COMMIT")
                    self._begun = False
            elif self._sync is not None:
                sync, unit = self._sync, self._unit
                if self._read_only:
                    _end(sync, commit=False)  # nothing was written: ending the snapshot is all a commit would do
                    self._database.reader_done(sync)
                elif unit is None:
                    _end(sync, commit=True)  # offloaded: a transaction of its own
                    self._database.committed(1)
                self._sync = self._unit = None
                if unit is None:
                    self._release_turn()
                else:
                    # The unit's work joins its batch; the turn goes to the next session, and this one waits for
                    # the batch's commit.
                    try:
                        done = self._database.end_unit(unit, commit=True)
                    finally:
                        self._release_turn()
                    await self._database.until_committed(unit, done)
        except DBAPIError as error:
            if _conflict(error):
                raise StorageBusy() from error
            raise

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        if self._async is not None:
            await self._give_back_async()
        elif self._sync is not None:
            sync, unit, self._sync, self._unit = self._sync, self._unit, None, None
            try:
                if unit is not None:
                    self._database.end_unit(unit, commit=False)
                else:
                    _end(sync, commit=False)
                    if self._read_only:
                        self._database.reader_done(sync)
                    else:
                        self._database.writer_done(sync)
            finally:
                self._release_turn()

    async def _give_back_async(self) -> None:
        """Roll back what this session left on its PostgreSQL connection, and give the connection back."""
        conn, self._async = self._async, None
        try:
            if conn is None:
                return
            begun, self._begun, self._transactional = self._begun, False, False
            if self._read_only and self._snapshot:
                try:
                    if conn.in_transaction() and not conn.invalidated:
                        await conn.rollback()
                finally:
                    await conn.close()
            else:
                await self._database.autocommit_done(conn, begun)
        finally:
            self._release_connection()

    def _release_connection(self) -> None:
        if self._holds_connection:
            self._holds_connection = False
            self._database.connections.release()


class Database:
    """An engine of either backend, and the means to run synchronous code on it."""

    def __init__(self, url: str) -> None:
        self.backend = backend_of(url)
        self.sync_engine: Engine | None = None
        self.async_engine: AsyncEngine | None = None
        self._executor: ThreadPoolExecutor | None = None
        #: SQLite writing sessions of this process take turns (see :class:`Session`).
        self.turn = asyncio.Lock()
        self._wanting_turn = 0  # sessions waiting for the turn
        #: SQLite reading sessions open at once: every connection but the one kept for the writer.
        self.readers = asyncio.Semaphore(_SQLITE_CONNECTIONS - 1)
        # Reading connections kept between read-only sessions: checking one out of the pool and back cost more than
        # the reads of a GET (about 60 µs of 155). They are used on the event loop only.
        self._idle_readers: list[Connection] = []
        # PostgreSQL: connections in autocommit kept between sessions, with when each was first kept.
        self._idle_autocommit: list[tuple[AsyncConnection, float]] = []
        #: PostgreSQL sessions holding a connection at once: as many as the engine opens (see connection_turn).
        self.connections = asyncio.Semaphore(POSTGRES_CONNECTIONS)
        # SQLite: the one connection writing sessions use, one at a time (they take turns), kept between them.
        self._writer: Connection | None = None
        # SQLite: the batch whose transaction is open on the writing connection, and the tasks that commit batches.
        self._batch: _Batch | None = None
        self._flushes: set[asyncio.Task[None]] = set()
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
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
        """A connection for a read-only session (SQLite): an idle one, or a new one (the session begins it deferred)."""
        if self._idle_readers:
            return self._idle_readers.pop()
        assert self.sync_engine is not None
        return self.sync_engine.connect()

    def kept_drivers(self) -> list[Any]:
        """The driver connections kept open between sessions (``sqlite3`` or asyncpg ones), for instrumentation.

        With the pool's ``checkout`` event for those checked out later, a statement trace (``set_trace_callback``,
        asyncpg's ``add_query_logger``) can see every statement, including those sent to the driver directly.
        """
        kept = [*self._idle_readers, *([self._writer] if self._writer is not None else [])]
        drivers: list[Any] = [sqlite_driver(connection) for connection in kept if not connection.closed]
        for held, _ in self._idle_autocommit:
            if held.sync_connection is not None and not held.closed:
                drivers.append(held.sync_connection.connection.driver_connection)
        return drivers

    def reader_done(self, connection: Connection) -> None:
        """Keep a reading connection, its transaction ended, for the next read-only session."""
        if connection.invalidated or connection.closed:
            connection.close()
        else:
            self._idle_readers.append(connection)

    async def connection_turn(self) -> None:
        """Wait, in turn, until a PostgreSQL session may hold a connection (``StorageBusy`` after the timeout).

        Sessions take the connections kept between sessions first and the pool's only when none is kept, so a
        session left waiting in the pool's queue was passed by every newcomer that found a kept one (under load it
        waited over a second while others took a millisecond). Waiting here instead, first come first served, for
        one of as many turns as the engine has connections, no session waits for the pool, and none waits longer
        than those before it.
        """
        if not self.connections.locked():
            await self.connections.acquire()  # free: taken at once, without arming a timer
            return
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
                await self.connections.acquire()
        except TimeoutError:
            raise StorageBusy() from None

    async def autocommit_connection(self) -> AsyncConnection:
        """A PostgreSQL connection in autocommit: one kept from an earlier session, or a new one from the pool.

        Checking a connection out of the pool, setting its isolation level and giving it back cost about 0.1 ms of
        CPU, as much as a statement: sessions that start in autocommit (all but snapshot readers) reuse them.
        """
        now = time.monotonic()
        while self._idle_autocommit:
            connection, since = self._idle_autocommit.pop()
            if not (connection.invalidated or connection.closed) and now - since < _KEEP_SECONDS:
                return connection
            await connection.close()
        assert self.async_engine is not None
        connection = await self.async_engine.connect()
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection

    async def autocommit_done(self, connection: AsyncConnection, begun: bool) -> None:
        """A session ended: roll back what it left (``begun``: a transaction it began), and keep it (or close it)."""
        try:
            if connection.in_transaction():
                await connection.rollback()  # SQLAlchemy's own (in autocommit, it sends nothing)
            if begun and not (connection.invalidated or connection.closed):
                await connection.run_sync(_send, "ROLLBACK")
            healthy = not (connection.invalidated or connection.closed)
        except Exception:
            # Not ended cleanly: closing the connection ends its transaction on the server.
            log.warning("a PostgreSQL connection was closed: its transaction could not be rolled back", exc_info=True)
            healthy = False
        if not healthy:
            # It died (the server restarted, or dropped it): those kept beside it most likely did too.
            kept, self._idle_autocommit = self._idle_autocommit, []
            for held, _ in kept:
                await held.close()
        if healthy and len(self._idle_autocommit) < _KEPT_AUTOCOMMIT:
            self._idle_autocommit.append((connection, time.monotonic()))
        else:
            await connection.close()

    async def begin_unit(self, *, savepoint: bool = True) -> tuple[Connection, _Unit]:
        """The writing connection for a session, in the open batch's transaction (SQLite; the caller holds the turn).

        Writing sessions of one process share transactions: the first to write when none is open begins one (``BEGIN
        IMMEDIATE``) and, once it has committed its own work, commits the transaction after the sessions ready to run by
        then have written (they take the turn in the meantime, each after a savepoint of its own, so that one rolled
        back undoes only its own work; see :meth:`until_committed`). Under load a transaction then carries many
        sessions' writes: one ``BEGIN`` and one ``COMMIT`` for all of them, and the WAL pages they share written once. A
        session's commit returns only once the transaction is committed, so nothing is acknowledged before it is
        durable. ``savepoint=False`` is for a session of one statement (SQLite undoes a failed statement on its own).
        """
        batch = self._batch
        if batch is not None and self._lost(batch):
            self._fail(batch)
            batch = None
        writer = self.writer()
        if batch is not None:
            if savepoint:
                _send_sqlite(writer, "SAVEPOINT byot_unit")
            return writer, _Unit(batch, opened=False, savepoint=savepoint)
        await self._begin_immediate(writer)
        batch = self._batch = _Batch()
        return writer, _Unit(batch, opened=True, savepoint=False)

    def end_unit(self, unit: _Unit, *, commit: bool) -> asyncio.Future[None]:
        """End a writing session's part of its batch (its caller holds the turn): the future of the batch's commit.

        Without ``commit`` the session's work is undone: back to its savepoint, or the whole transaction when the
        session began it (nothing else is in it yet: sessions take turns). When the transaction is no longer open
        (SQLite rolls a transaction back on some errors, such as a full disk), the batch fails: its sessions' commits
        raise ``StorageBusy`` (nothing of theirs was written; the write use cases run them again).
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        writer, batch = self._writer, unit.batch
        if writer is None or self._lost(batch):
            self._fail(batch)
            if commit:
                raise StorageBusy()
            done.set_result(None)
            return done
        try:
            if not commit and unit.opened:
                self._batch = None  # nothing else is in it: it began the batch, and sessions take turns
                _end(writer, commit=False)
            elif not commit and unit.savepoint:
                _send_sqlite(writer, "ROLLBACK TO byot_unit")
                _send_sqlite(writer, "RELEASE byot_unit")
            elif unit.savepoint:
                _send_sqlite(writer, "RELEASE byot_unit")
        except DBAPIError:
            self._fail(batch)
            raise
        if commit:
            batch.waiting.append(done)
        else:
            done.set_result(None)
        return done

    async def take_turn(self) -> None:
        """Wait for the writers' turn (SQLite), first come first served."""
        self._wanting_turn += 1
        try:
            await self.turn.acquire()
        finally:
            self._wanting_turn -= 1

    def _lost(self, batch: _Batch) -> bool:
        """Whether ``batch``'s transaction is gone: ended, rolled back by SQLite, or its connection failed."""
        writer = self._writer
        return (
            batch is not self._batch
            or writer is None
            or writer.invalidated
            or writer.closed
            or not sqlite_driver(writer).in_transaction
        )

    async def until_committed(self, unit: _Unit, done: asyncio.Future[None]) -> None:
        """Wait until the batch of a committed session is committed (``done``, from :meth:`end_unit`).

        The session that began the batch commits it, after letting every task ready to run by then run first: those
        with writes to make join the batch (or queue for the turn, to join it).
        """
        if unit.opened:
            try:
                await asyncio.sleep(0)
            finally:
                self._flush_soon(unit.batch)  # even if cancelled: the others in the batch wait for it
        await done

    def _flush_soon(self, batch: _Batch) -> None:
        """Commit ``batch`` now if no session holds the turn or waits for it; else once those waiting have joined it."""
        if batch is not self._batch:
            return  # already committed, or failed
        if not self.turn.locked() and not self._wanting_turn:
            self._settle(batch)
            return
        # Sessions queue for the turn (they are handed it one after the other, a loop iteration each): the batch is
        # committed after those already waiting, which join it, as a session waiting in the same queue would be.
        flush = asyncio.get_running_loop().create_task(self._flush(batch))
        self._flushes.add(flush)
        flush.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: _Batch) -> None:
        """Commit ``batch`` when the turn comes to it (no session is half-way)."""
        async with self.turn:
            if batch is self._batch:
                self._settle(batch)

    def _settle(self, batch: _Batch) -> None:
        """Commit the open batch's transaction (the caller holds the turn) and tell its sessions how it went."""
        writer = self._writer
        try:
            if writer is None:
                raise StorageBusy()
            # In WAL mode with synchronous=NORMAL a commit appends to the WAL without syncing the disk, and the
            # writing connection never checkpoints: nothing here waits for the disk.
            _end(writer, commit=True)
        except Exception:
            log.warning(
                "a SQLite transaction of %d units of work could not be committed", len(batch.waiting), exc_info=True
            )
            self._fail(batch)
            return
        self._batch = None
        for done in batch.waiting:
            if not done.done():  # a session cancelled while waiting
                done.set_result(None)
        self.committed(len(batch.waiting))

    def _fail(self, batch: _Batch) -> None:
        """The batch's transaction is lost: undo what is left of it, and fail its sessions' commits."""
        writer = self._writer
        if self._batch is batch:
            self._batch = None
            if writer is not None:
                try:
                    _end(writer, commit=False)
                except Exception:
                    log.warning("a failed SQLite transaction could not be rolled back", exc_info=True)
                self.writer_done(writer)  # replaced at the next write if it failed
        for done in batch.waiting:
            if not done.done():
                done.set_exception(StorageBusy())
        batch.waiting.clear()

    async def begin_alone(self) -> Connection:
        """The writing connection in a transaction of its own, outside batches (SQLite, offloaded work: migrations).

        The caller holds the turn; an open batch is committed first.
        """
        if self._batch is not None:
            self._settle(self._batch)
        writer = self.writer()
        await self._begin_immediate(writer)
        return writer

    async def _begin_immediate(self, writer: Connection) -> None:
        """``BEGIN IMMEDIATE`` on the writing connection (the caller holds the turn).

        The write lock is asked for without waiting, on the event loop. Only when another process holds it is it
        waited for (up to the busy timeout) in a worker thread; the transaction then goes on on the event loop, since
        a transaction holding the write lock waits for nothing in WAL mode. ``StorageBusy`` if it stays taken.
        """
        driver = sqlite_driver(writer)
        try:
            try:
                driver.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if not _locked(error):
                    raise
                await self.in_thread(lambda: _begin_when_free(driver))
        except sqlite3.OperationalError as error:
            if _locked(error):
                raise StorageBusy() from error
            raise DBAPIError.instance("BEGIN IMMEDIATE", None, error, sqlite3.Error, dialect=writer.dialect) from error

    def writer(self) -> Connection:
        """The one writing connection (SQLite), opened on first use and again after it failed.

        Whoever holds the turn uses it, and finds no transaction open on it (each session ends its own before giving
        the turn back): a statement sent on it without a ``BEGIN`` commits on its own.
        """
        writer = self._writer
        if writer is None or writer.invalidated or writer.closed:
            assert self.sync_engine is not None
            writer = self._writer = self.sync_engine.connect()
            driver = sqlite_driver(writer)
            # Never wait for a lock on the event loop, and never checkpoint while committing (see committed()).
            driver.execute("PRAGMA busy_timeout=0")
            driver.execute("PRAGMA wal_autocheckpoint=0")
        return writer

    def writer_done(self, connection: Connection) -> None:
        """A writing session ended: a connection that failed is replaced at the next one."""
        if connection.invalidated and connection is self._writer:
            self._writer = None
            connection.close()

    def committed(self, units: int) -> None:
        """Writes of ``units`` sessions were committed (SQLite): every so many, checkpoint the WAL in a worker thread.

        The writing connection does not checkpoint on its own (``wal_autocheckpoint=0``): a checkpoint copies pages
        into the database file and syncs it, which must not hold up the event loop. A caller that writes in a loop
        without ever waiting for anything else (a bulk import) still lets it start and finish: each of its commits
        lets the event loop run once before its batch is committed (see :meth:`until_committed`).
        """
        self._commits += units
        if self._commits >= _CHECKPOINT_EVERY and (self._checkpoint is None or self._checkpoint.done()):
            self._commits = 0
            self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())

    async def _run_checkpoint(self) -> None:
        # In two passes. The first, beside the writers, on a reading connection, does most of the work: it syncs the
        # WAL (the pages written since the last checkpoint, megabytes under a load of creates), copies them into the
        # database file and syncs that (5.7 ms on average under a load of creates). The second, with the writers'
        # turn, copies only what was appended meanwhile (2.3 ms): no write of this process appends during it, so it
        # copies all of the WAL, and the next write starts the WAL over instead of making it longer. Writes wait only
        # for the second pass (for the whole checkpoint, 6.1 ms, when it ran in one pass with their turn).
        await self.readers.acquire()
        try:
            reader = self.reader()
            try:
                await self.in_thread(lambda: _checkpoint(sqlite_driver(reader)))
            finally:
                self.reader_done(reader)
        finally:
            self.readers.release()
        async with self.turn:
            if self._batch is not None:
                self._settle(self._batch)  # a checkpoint cannot run inside the writing connection's transaction
            writer = sqlite_driver(self.writer())
            await self.in_thread(lambda: _checkpoint(writer))

    async def in_thread(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a worker thread (SQLite)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def run(self, fn: Callable[..., T], *args: Any, offload: bool = False) -> T:
        """Run ``fn(connection, *args)`` in a transaction of its own, committed if it returns.

        ``offload`` runs it in a worker thread on SQLite, for work that may take long (a migration).
        """
        session = Session(self, offload=offload)
        try:
            result = await session.run(fn, *args)
            await session.commit()
            return result
        finally:
            await session.close()

    async def dispose(self) -> None:
        """Close every connection."""
        if self.async_engine is not None:
            kept, self._idle_autocommit = self._idle_autocommit, []
            for held, _ in kept:
                await held.close()
            await self.async_engine.dispose()
        if self.sync_engine is not None:
            await asyncio.gather(*self._flushes, return_exceptions=True)
            if self._batch is not None:
                async with self.turn:
                    if self._batch is not None:
                        self._settle(self._batch)
            if self._checkpoint is not None:
                await asyncio.gather(self._checkpoint, return_exceptions=True)
            idle, self._idle_readers = self._idle_readers, []
            if self._writer is not None:
                idle.append(self._writer)
                self._writer = None
            for connection in idle:
                connection.close()
            engine = self.sync_engine
            await self.in_thread(engine.dispose)
        if self._executor is not None:
            self._executor.shutdown(wait=False)


def _end(connection: Connection, *, commit: bool) -> None:
    """End a SQLite session's transaction, begun on the driver.

    A statement run through SQLAlchemy's own execution begins SQLAlchemy's bookkeeping of a transaction (the engine's
    begin hook sends nothing then: the driver is in one already), which its own commit or rollback must end; else
    the driver ends it directly.
    """
    if connection.in_transaction():
        connection.commit() if commit else connection.rollback()
    else:
        driver = sqlite_driver(connection)
        driver.commit() if commit else driver.rollback()


def _checkpoint(driver: sqlite3.Connection) -> None:
    """Copy what the WAL holds into the database file, waiting for no one (in a worker thread)."""
    driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


# How often a writer waiting for another process's write lock asks for it again.
_LOCK_POLL_SECONDS = 0.0005


def _begin_when_free(driver: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE`` once the write lock is free, asked for every half millisecond up to the busy timeout.

    In a worker thread. SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms): against a
    process that commits and begins again at once, it kept missing the moments the lock was free.
    """
    deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
    while True:
        try:
            driver.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() > deadline:
                raise
        time.sleep(_LOCK_POLL_SECONDS)


def _send_sqlite(connection: Connection, sql: str) -> None:
    """Send a statement without parameters on the SQLite driver directly, its error raised as SQLAlchemy's."""
    try:
        sqlite_driver(connection).execute(sql)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, None, error, sqlite3.Error, dialect=connection.dialect) from error


def _send(connection: Connection, sql: str) -> None:
    """Send a statement without parameters on asyncpg directly (from ``run_sync``), with SQLAlchemy's error handling."""
    on_asyncpg(connection, sql, lambda driver: driver.execute(sql))
