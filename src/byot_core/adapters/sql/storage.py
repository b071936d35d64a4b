"""SQL storage: SQLite (the embedded default) or PostgreSQL, behind the storage port."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine

from byot_core.adapters.sql.account_repository import SqlAccountRepository
from byot_core.adapters.sql.cache import AggregateCache, SeenTrunks
from byot_core.adapters.sql.database import Database
from byot_core.adapters.sql.execution_repository import SqlExecutionRepository
from byot_core.adapters.sql.instance_repository import SqlInstanceRepository
from byot_core.adapters.sql.migrate import check_schema, upgrade
from byot_core.adapters.sql.number_repository import SqlNumberRepository
from byot_core.adapters.sql.outbox_repository import SqlOutboxRepository
from byot_core.adapters.sql.trunk_repository import SqlTrunkRepository

__all__ = ["SqlStorage", "SqlUnitOfWork"]


class SqlUnitOfWork:
    """One database transaction, begun on first use; rolled back on leaving unless committed.

    Read-only: on SQLite a deferred transaction on a reader connection (WAL lets it read a snapshot beside the
    writer); on PostgreSQL ``REPEATABLE READ READ ONLY``, so every statement sees the same snapshot.
    """

    def __init__(
        self, database: Database, cache: AggregateCache, *, read_only: bool = False, snapshot: bool = True
    ) -> None:
        self._session = database.session(read_only=read_only, snapshot=snapshot)
        # Only a unit of work that cannot write may answer a trunk from a state read earlier in it.
        seen: SeenTrunks | None = {} if read_only else None
        self.trunks = SqlTrunkRepository(self._session, cache, seen)
        self.numbers = SqlNumberRepository(self._session, cache, seen)
        self.executions = SqlExecutionRepository(self._session)
        self.instances = SqlInstanceRepository(self._session)
        self.accounts = SqlAccountRepository(self._session)
        self.outbox = SqlOutboxRepository(self._session)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.trunks.rolled_back()  # whatever was not committed is not stored
        await self._session.close()

    async def commit(self) -> None:
        """Commit the transaction."""
        await self._session.commit()
        self.trunks.committed()

    async def rollback(self) -> None:
        """Roll the transaction back (the unit of work may be used again afterwards)."""
        self.trunks.rolled_back()
        await self._session.close()


class SqlStorage:
    """Storage in a SQL database through SQLAlchemy: ``sqlite:///byot.sqlite3`` or ``postgresql://…``.

    Open it with :meth:`open`, which refuses a database whose schema is behind the code (or upgrades it first, if
    asked); close it with :meth:`close`.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._cache = AggregateCache()

    @classmethod
    async def open(cls, url: str, *, upgrade_schema: bool = False) -> SqlStorage:
        """Connect; upgrade the schema first if ``upgrade_schema``, else check that it is current."""
        database = Database(url)
        try:
            if upgrade_schema:
                await upgrade(database)
            await check_schema(database)
        except BaseException:
            await database.dispose()
            raise
        return cls(database)

    @property
    def events_targets(self) -> tuple[Engine, ...]:
        """The engines SQLAlchemy events attach to (for instrumentation): SQLite's writer and reader, or the one."""
        return self.database.events_targets

    def unit_of_work(self, *, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork:
        """A new unit of work; a ``read_only`` one reads without queueing behind writers.

        It reads one snapshot unless ``snapshot=False``: on PostgreSQL each statement then runs on its own, with no
        transaction to begin and end.
        """
        return SqlUnitOfWork(self.database, self._cache, read_only=read_only, snapshot=snapshot)

    async def close(self) -> None:
        """Release the connections."""
        await self.database.dispose()
