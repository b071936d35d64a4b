"""SQLite sessions: one writer connection taken in turn, readers beside it, their work called on the event loop.

A short statement costs SQLite tens of microseconds, less than a trip to a worker thread and back; and nothing here
waits on the event loop: readers read a WAL snapshot and wait for no lock, and a writer first takes the write lock
without waiting. Only when another process holds that lock is it waited for, in a worker thread. See
docs/decisions.md, "SQLite runs on the event loop", for the figures.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from byot_core.adapters.sql import engine as _engine
from byot_core.adapters.sql.driver_select import DriverSelect
from byot_core.adapters.sql.engine import conflicts_as_busy
from byot_core.domain.errors import StorageBusy
from byot_core.ports.storage import ReadOnlyUnitOfWork

__all__ = ["SqliteSession"]

T = TypeVar("T")

# How often a writer waiting for another process's write lock asks for it again.
_LOCK_POLL_SECONDS = 0.0005


class SqliteSession:
    """A SQLite session (see :class:`~byot_core.adapters.sql.database.Session`).

    A writing session holds the writers' turn (``turn``) from its first use to its commit or close, and with it the
    one writer connection, in a ``BEGIN IMMEDIATE`` transaction. A read-only session holds one of the ``readers``
    turns and a reader connection, in a deferred transaction (a snapshot from its first read). Both are begun on the
    driver: with no "begin" listener on the engines, SQLAlchemy runs each statement with less bookkeeping (a "begin"
    event, and a ``BEGIN`` sent through SQLAlchemy, cost a third of a GET).
    """

    def __init__(
        self, writer: Engine, reader: Engine, turn: asyncio.Lock, readers: asyncio.Semaphore, *, read_only: bool
    ) -> None:
        self._engine = reader if read_only else writer
        self._turn: asyncio.Lock | asyncio.Semaphore = readers if read_only else turn
        self._read_only = read_only
        self._connection: Connection | None = None

    @property
    def read_only(self) -> bool:
        """Whether the session only reads."""
        return self._read_only

    async def run(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Run ``fn(connection, *args)`` in this session; ``write=False`` promises ``fn`` only reads."""
        if write and self._read_only:
            raise ReadOnlyUnitOfWork("this unit of work was opened read-only")
        connection = self._connection or await self._open()
        with conflicts_as_busy():
            return fn(connection, *args)

    async def select(self, query: DriverSelect, params: Mapping[str, Any]) -> Sequence[Mapping[Any, Any]]:
        """The rows ``query`` reads with ``params``, each by column name (through SQLAlchemy, as everything here)."""
        return await self.run(query.read, params, write=False)

    async def _open(self) -> Connection:
        await self._turn.acquire()
        try:
            # Never waited for: the pool has a connection for every turn.
            connection = self._engine.connect()
            try:
                if self._read_only:
                    _driver(connection).execute("BEGIN")  # deferred: a snapshot from the first read
                else:
                    await _begin_immediate(connection)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            self._turn.release()
            raise
        self._connection = connection
        return connection

    async def commit(self) -> None:
        """Commit what was begun and give the connection back (a later use begins a new transaction)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            with conflicts_as_busy():
                # SQLAlchemy's own transaction, begun at its first statement (its begin sends nothing to this driver),
                # commits the driver's; the driver's is committed directly when no statement ran through SQLAlchemy.
                connection.commit()
                driver = _driver(connection)
                if driver.in_transaction:
                    driver.commit()
        finally:
            self._give_back(connection)

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._give_back(connection)

    def _give_back(self, connection: Connection) -> None:
        try:
            connection.close()  # the pool rolls back whatever is left, on the driver too
        finally:
            self._turn.release()


async def _begin_immediate(connection: Connection) -> None:
    """``BEGIN IMMEDIATE`` on the writer's driver connection, the write lock waited for off the event loop.

    Asked for at once (the writer's busy timeout is 0). Only when another process holds it is it asked for again in a
    worker thread, every half millisecond up to the busy timeout: SQLite's own busy handler sleeps longer and longer
    between tries (up to 100 ms), and against a process that commits and begins again at once it kept missing the
    moments the lock was free. ``StorageBusy`` if it stays taken.
    """
    driver = _driver(connection)
    try:
        driver.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as error:
        if "database is locked" not in str(error):
            raise
    deadline = time.monotonic() + _engine.CONNECT_TIMEOUT_SECONDS
    waiting = asyncio.ensure_future(asyncio.to_thread(_begin_when_free, driver, deadline))
    try:
        begun = await asyncio.shield(waiting)
    except asyncio.CancelledError:
        # The thread still uses the connection: it must be done before the connection goes back to the pool.
        await asyncio.wait([waiting])
        raise
    if not begun:
        raise StorageBusy()


def _driver(connection: Connection) -> sqlite3.Connection:
    """The standard library's connection under ``connection``: transactions are begun and ended on it directly."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)  # a live SQLite connection has its driver connection
    return driver


def _begin_when_free(driver: sqlite3.Connection, deadline: float) -> bool:
    """``BEGIN IMMEDIATE`` once the write lock is free (in a worker thread); ``False`` if not before ``deadline``."""
    while time.monotonic() < deadline:
        time.sleep(_LOCK_POLL_SECONDS)
        try:
            driver.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError as error:
            if "database is locked" not in str(error):
                raise
    return False
