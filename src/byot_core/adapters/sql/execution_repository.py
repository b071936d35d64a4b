"""Executions in SQL: the record of each call, found by any of its channels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy import Connection

from byot_core.adapters.sql import rows
from byot_core.adapters.sql.common import lock_trunk
from byot_core.adapters.sql.database import Session
from byot_core.adapters.sql.schema import (
    execution_channels,
    executions,
)
from byot_core.domain.execution import Execution

__all__ = ["SqlExecutionRepository"]


def _index_channels(conn: Connection, execution: Execution) -> None:
    known = set(
        conn.execute(
            sa.select(execution_channels.c.channel_id).where(execution_channels.c.execution_id == execution.id)
        ).scalars()
    )
    new = [
        {"channel_id": channel_id, "execution_id": execution.id}
        for channel_id in execution.channel_ids
        if channel_id not in known
    ]
    if new:
        conn.execute(sa.insert(execution_channels), new)


def _write_execution(conn: Connection, execution: Execution, insert: bool) -> None:
    values: dict[str, Any] = rows.execution_values(execution)
    if insert:
        conn.execute(sa.insert(executions).values(**values))
    else:
        del values["id"]
        conn.execute(sa.update(executions).where(executions.c.id == execution.id).values(**values))
    _index_channels(conn, execution)


# Calls in progress on a trunk (the index ix_byot_executions_live serves it).
_LIVE = (
    sa.select(sa.func.count())
    .select_from(executions)
    .where(executions.c.trunk_id == sa.bindparam("trunk"), executions.c.ended_at.is_(None))
)


class SqlExecutionRepository:
    """Execution records, with an index of their channels."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def _one(self, query: sa.Select[Any]) -> Execution | None:
        row = await self._session.run(lambda conn: conn.execute(query).mappings().first(), write=False)
        return rows.execution_from_row(row) if row is not None else None

    async def add(self, execution: Execution) -> None:
        """Insert an execution and index its channels."""
        await self._session.run(_write_execution, execution, True)

    async def update(self, execution: Execution) -> None:
        """Rewrite an execution and index new channels."""
        await self._session.run(_write_execution, execution, False)

    async def get(self, account_id: str, execution_id: str) -> Execution | None:
        """The account's execution, or ``None``."""
        return await self._one(
            sa.select(executions).where(executions.c.id == execution_id, executions.c.account_id == account_id)
        )

    async def find_by_channel(self, channel_id: str) -> Execution | None:
        """The execution using that channel, or ``None``; in a writing unit of work its row is locked.

        Events of one call can be handled at once (the event loop, and a call's media task): the lock makes each
        read-change-write of the execution wait for the one before it (PostgreSQL; SQLite writers take turns anyway).
        """
        query = (
            sa.select(executions)
            .join(execution_channels, execution_channels.c.execution_id == executions.c.id)
            .where(execution_channels.c.channel_id == channel_id)
        )
        if self._session.read_only:
            return await self._one(query)
        # write=True: the lock must be taken inside the unit of work's transaction, not in autocommit.
        locked = query.with_for_update(of=executions)
        row = await self._session.run(lambda conn: conn.execute(locked).mappings().first(), write=True)
        return rows.execution_from_row(row) if row is not None else None

    async def live_on_trunk(self, trunk_id: str) -> int:
        """The trunk's executions not yet ended; a writing unit of work locks the trunk's row first (PostgreSQL)."""
        lock = not self._session.read_only

        def count(conn: Connection) -> int:
            if lock:
                lock_trunk(conn, trunk_id)
            return int(conn.execute(_LIVE, {"trunk": trunk_id}).scalar_one())

        # write=True in a writing unit of work: the lock must be taken inside its transaction, not in autocommit.
        return await self._session.run(count, write=lock)

    async def adopt(self, from_instance: str, to_instance: str) -> Sequence[Execution]:
        """Move the stopped instance's executions not yet ended to another, rows locked; return them so."""

        def move(conn: Connection) -> list[Execution]:
            live = sa.and_(executions.c.instance_id == from_instance, executions.c.ended_at.is_(None))
            found = conn.execute(sa.select(executions).where(live).with_for_update()).mappings().all()
            if found:
                ids = [row["id"] for row in found]
                conn.execute(sa.update(executions).where(executions.c.id.in_(ids)).values(instance_id=to_instance))
            return [attrs.evolve(rows.execution_from_row(row), instance_id=to_instance) for row in found]

        return await self._session.run(move)

    async def list_for_agent(self, account_id: str, agent_id: str, limit: int = 100) -> Sequence[Execution]:
        """An agent's executions, newest first."""
        query = (
            sa.select(executions)
            .where(executions.c.account_id == account_id, executions.c.agent_id == agent_id)
            .order_by(executions.c.created_at.desc(), executions.c.id.desc())
            .limit(limit)
        )
        found = await self._session.run(lambda conn: conn.execute(query).mappings().all(), write=False)
        return [rows.execution_from_row(row) for row in found]
