"""Status callbacks in SQL: the outbox rows, claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from byot_core.adapters.sql.common import read_rows, write_rows
from byot_core.adapters.sql.database import Session
from byot_core.adapters.sql.schema import callback_outbox as outbox
from byot_core.domain.callbacks import CallbackEvent, EventState

__all__ = ["SqlOutboxRepository"]

_PENDING = EventState.PENDING.value
_earlier = outbox.alias("earlier")
# Due, not held, and the earliest pending event of its call: a call's events go out in order, one at a time.
_DUE = (
    sa.select(outbox)
    .where(
        outbox.c.state == _PENDING,
        outbox.c.next_attempt_at <= sa.bindparam("now"),
        sa.or_(outbox.c.leased_until.is_(None), outbox.c.leased_until <= sa.bindparam("now")),
        ~sa.exists(
            sa.select(_earlier.c.id).where(
                _earlier.c.execution_id == outbox.c.execution_id,
                _earlier.c.state == _PENDING,
                _earlier.c.sequence < outbox.c.sequence,
            )
        ),
    )
    .order_by(outbox.c.next_attempt_at, outbox.c.created_at, outbox.c.id)
    .limit(sa.bindparam("limit"))
)
# On PostgreSQL, rows another claimer is taking are skipped rather than waited for (SQLite has one writer at a time).
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True, of=outbox)
_LEASE = (
    sa.update(outbox)
    .where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(leased_until=sa.bindparam("until"))
)
_NEXT = sa.select(sa.func.coalesce(sa.func.max(outbox.c.sequence), 0) + 1).where(
    outbox.c.execution_id == sa.bindparam("execution")
)
_BACKLOG = sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(outbox.c.state == _PENDING)


def _values(event: CallbackEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "account_id": event.account_id,
        "execution_id": event.execution_id,
        "sequence": event.sequence,
        "url": event.url,
        "body": event.body,
        "created_at": event.created_at,
        "next_attempt_at": event.next_attempt_at,
        "attempts": event.attempts,
        "state": event.state.value,
        "last_error": event.last_error,
        "delivered_at": event.delivered_at,
        "leased_until": None,
    }


def _event(row: Mapping[Any, Any]) -> CallbackEvent:
    return CallbackEvent(
        id=row["id"],
        account_id=row["account_id"],
        execution_id=row["execution_id"],
        sequence=row["sequence"],
        url=row["url"],
        body=row["body"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        attempts=row["attempts"],
        state=EventState(row["state"]),
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
    )


def _claim(conn: Connection, now: datetime, until: datetime, limit: int) -> list[CallbackEvent]:
    query = _DUE_LOCKED if conn.dialect.name == "postgresql" else _DUE
    rows = read_rows(conn, query, {"now": now, "limit": limit})
    if rows:
        write_rows(conn, _LEASE, {"ids": [row["id"] for row in rows], "until": until})
    return [_event(row) for row in rows]


def _record(conn: Connection, event: CallbackEvent) -> None:
    values = _values(event)
    del values["id"]
    conn.execute(sa.update(outbox).where(outbox.c.id == event.id).values(**values))


class SqlOutboxRepository:
    """The status callbacks' outbox."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, events: Sequence[CallbackEvent]) -> None:
        """Store new events."""
        if events:
            rows = [_values(e) for e in events]
            await self._session.run(lambda conn: conn.execute(sa.insert(outbox), rows))

    async def next_sequence(self, execution_id: str) -> int:
        """One past the call's last event."""
        return int(await self._session.run(lambda conn: conn.execute(_NEXT, {"execution": execution_id}).scalar_one()))

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[CallbackEvent]:
        """Take due events until ``lease_until`` (see the port)."""
        return await self._session.run(_claim, now, lease_until, limit)

    async def record(self, event: CallbackEvent) -> None:
        """Store an attempt's outcome and release the event."""
        await self._session.run(_record, event)

    async def for_execution(self, execution_id: str) -> Sequence[CallbackEvent]:
        """The call's events in order."""
        query = sa.select(outbox).where(outbox.c.execution_id == execution_id).order_by(outbox.c.sequence)
        return await self._session.run(lambda conn: [_event(r) for r in read_rows(conn, query, {})], write=False)

    async def purge(self, written_before: datetime) -> int:
        """Delete finished events written before then."""
        statement = sa.delete(outbox).where(outbox.c.state != _PENDING, outbox.c.created_at < written_before)
        return int(await self._session.run(lambda conn: conn.execute(statement).rowcount))

    async def backlog(self, now: datetime) -> tuple[int, float]:
        """Pending events and the oldest one's age in seconds."""
        row = await self._session.run(lambda conn: conn.execute(_BACKLOG).one(), write=False)
        count, oldest = row[0], row[1]
        return int(count), max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
