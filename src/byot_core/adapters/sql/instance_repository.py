"""The library's instances in SQL: one row per live instance, its lease renewed while its process lives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from byot_core.adapters.sql.database import Session
from byot_core.adapters.sql.schema import instances

__all__ = ["SqlInstanceRepository"]


def _renew(conn: Connection, instance_id: str, expires_at: datetime) -> None:
    # Only the instance itself renews its row, so an update then an insert cannot race another writer of it.
    updated = conn.execute(sa.update(instances).where(instances.c.id == instance_id).values(expires_at=expires_at))
    if updated.rowcount == 0:
        conn.execute(sa.insert(instances).values(id=instance_id, expires_at=expires_at))


def _claim(conn: Connection, now: datetime) -> list[str]:
    # One statement: a claimer blocked on a row another is deleting finds it gone, so each id goes to one claimer.
    deleted = conn.execute(sa.delete(instances).where(instances.c.expires_at < now).returning(instances.c.id))
    return sorted(deleted.scalars())


class SqlInstanceRepository:
    """Instances and their leases."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def renew(self, instance_id: str, expires_at: datetime) -> None:
        """Hold the instance's lease until ``expires_at`` (its row made again if it had been claimed)."""
        await self._session.run(_renew, instance_id, expires_at)

    async def claim_expired(self, now: datetime) -> Sequence[str]:
        """Delete the instances whose lease ran out and return their ids (each to one claimer)."""
        return await self._session.run(_claim, now)
