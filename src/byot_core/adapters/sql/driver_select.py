"""A select sent on asyncpg's own connection: the one place the SQL adapter steps past SQLAlchemy's execution.

Routing an inbound call on PostgreSQL is one select. Run through SQLAlchemy (``run_sync`` on the async connection,
which spawns a greenlet and builds an execution context for each statement), a decision took a median of 0.49 ms at
100,000 numbers, at the edge of its 0.5 ms target; with the select sent on asyncpg, 0.42 to 0.45 ms. A
:class:`DriverSelect` is compiled once by SQLAlchemy (the SQL, its parameters' order, each column's result
processor) and sent with asyncpg's public ``fetch`` on the connection SQLAlchemy's pool checked out. Only public APIs
of both are used: ``Select.compile``, ``SQLCompiler.positiontup``, ``TypeEngine.result_processor``,
``AsyncConnection.get_raw_connection`` and ``PoolProxiedConnection.driver_connection``. See docs/decisions.md,
"Routing's select on PostgreSQL is sent on the driver".

A session sends it so unless it reads a snapshot (see ``PostgresSession.select``): in autocommit, or before or inside
a ``READ COMMITTED`` transaction, where each statement sees the latest commit either way. A snapshot is begun by
SQLAlchemy at its first statement, so there the same statement runs through SQLAlchemy (:meth:`DriverSelect.read`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["DriverSelect"]

# The engines are asyncpg's (see engine.py), so the statement is compiled for that dialect once, at import.
_DIALECT: Dialect = make_url("postgresql+asyncpg://").get_dialect()()


def _driver_connection(value: Any) -> Any:
    """The asyncpg connection behind a pooled connection."""
    return value.driver_connection


@attrs.frozen
class DriverSelect:
    """A select, and what asyncpg needs to run it and give back its rows as SQLAlchemy would."""

    statement: sa.Select[Any]
    sql: str
    parameters: tuple[str, ...]
    columns: tuple[str, ...]
    #: Each column whose values SQLAlchemy would convert (by position), and its converter.
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, statement: sa.Select[Any]) -> DriverSelect:
        """``statement`` compiled for asyncpg; refused if a parameter would need converting (they are sent as given)."""
        compiled = statement.compile(dialect=_DIALECT)
        for name in compiled.positiontup or ():
            if compiled.binds[name].type.bind_processor(_DIALECT) is not None:
                raise ValueError(f"parameter {name!r} would need converting: run this select through SQLAlchemy")
        processors = []
        for index, column in enumerate(statement.selected_columns):
            processor = column.type.result_processor(_DIALECT, None)
            if processor is not None:  # most columns come back from asyncpg as they are to be read
                processors.append((index, processor))
        return cls(
            statement,
            str(compiled),
            tuple(compiled.positiontup or ()),
            tuple(statement.selected_columns.keys()),
            tuple(processors),
        )

    def read(self, connection: Connection, params: Mapping[str, Any]) -> Sequence[Mapping[Any, Any]]:
        """The rows, each by column name, read through SQLAlchemy on ``connection`` (in whatever transaction it has)."""
        return connection.execute(self.statement, params).mappings().all()

    async def fetch(self, connection: AsyncConnection, params: Mapping[str, Any]) -> Sequence[Mapping[Any, Any]]:
        """The rows, each by column name, read on ``connection``'s driver connection (see the module for when).

        The statement timeout of the connection's settings applies (asyncpg's ``command_timeout``).
        """
        driver = _driver_connection(await connection.get_raw_connection())
        records = await driver.fetch(self.sql, *(params[name] for name in self.parameters))
        rows = []
        for record in records:
            values = list(record)
            for index, processor in self.processors:
                values[index] = processor(values[index])
            rows.append(dict(zip(self.columns, values, strict=True)))
        return rows

    @staticmethod
    async def connection_lost(connection: AsyncConnection) -> bool:
        """Whether ``connection``'s driver connection has been closed (the server ended it, or the network did)."""
        return bool(_driver_connection(await connection.get_raw_connection()).is_closed())
