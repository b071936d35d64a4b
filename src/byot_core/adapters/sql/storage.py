"""SQL storage: SQLite (the embedded default) or PostgreSQL, behind the storage port."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from byot_core.adapters.sql.engine import make_engine
from byot_core.adapters.sql.migrate import check_schema, upgrade
from byot_core.adapters.sql.repositories import (
    AggregateCache,
    SqlExecutionRepository,
    SqlNumberRepository,
    SqlTrunkRepository,
)

__all__ = ["SqlStorage", "SqlUnitOfWork"]


class SqlUnitOfWork:
    """One database transaction; rolled back on leaving unless committed."""

    def __init__(self, engine: AsyncEngine, cache: AggregateCache) -> None:
        self._engine = engine
        self._cache = cache
        self._conn: AsyncConnection | None = None
        self._trunks: SqlTrunkRepository | None = None
        self._numbers: SqlNumberRepository | None = None
        self._executions: SqlExecutionRepository | None = None

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._conn

    @property
    def trunks(self) -> SqlTrunkRepository:
        """The trunks, seen through this transaction."""
        if self._trunks is None:
            self._trunks = SqlTrunkRepository(self._connection())
        return self._trunks

    @property
    def numbers(self) -> SqlNumberRepository:
        """The phone numbers, seen through this transaction."""
        if self._numbers is None:
            self._numbers = SqlNumberRepository(self._connection(), self._cache)
        return self._numbers

    @property
    def executions(self) -> SqlExecutionRepository:
        """The executions, seen through this transaction."""
        if self._executions is None:
            self._executions = SqlExecutionRepository(self._connection())
        return self._executions

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        try:
            await self._conn.begin()
        except BaseException:
            await self._conn.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._connection()
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()
            self._conn = None

    async def commit(self) -> None:
        """Commit the transaction."""
        await self._connection().commit()

    async def rollback(self) -> None:
        """Roll the transaction back."""
        await self._connection().rollback()


class SqlStorage:
    """Storage in a SQL database through SQLAlchemy: ``sqlite:///byot.sqlite3`` or ``postgresql://…``.

    Open it with :meth:`open`, which refuses a database whose schema is behind the code (or upgrades it, if asked);
    close it with :meth:`close`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._cache = AggregateCache()

    @classmethod
    async def open(cls, url: str, *, upgrade_schema: bool = False) -> SqlStorage:
        """Connect to the database; upgrade its schema first if ``upgrade_schema``, else check it is current."""
        engine = make_engine(url)
        try:
            if upgrade_schema:
                await upgrade(engine)
            await check_schema(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work."""
        return SqlUnitOfWork(self.engine, self._cache)

    async def close(self) -> None:
        """Release the connections."""
        await self.engine.dispose()
