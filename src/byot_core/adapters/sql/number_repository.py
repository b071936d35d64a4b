"""Phone numbers in SQL: a DID held by one live number platform-wide, routing candidates read in one go."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs
import sqlalchemy as sa
from sqlalchemy import Connection

from byot_core.adapters.sql import rows
from byot_core.adapters.sql.cache import AggregateCache, SeenTrunks, cached_trunk
from byot_core.adapters.sql.common import (
    READ_TRIES,
    TRUNK_BY_ID,
    guarded,
    load_trunk,
    lock_trunk,
    read_rows,
)
from byot_core.adapters.sql.database import Session
from byot_core.adapters.sql.driver_select import DriverSelect
from byot_core.adapters.sql.schema import (
    phone_numbers,
    trunks,
)
from byot_core.domain.errors import (
    PhoneNumberConflict,
    PhoneNumberOnTrunk,
    PhoneNumberRemoved,
    StorageBusy,
    TrunkNotFound,
)
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.routing import RouteCandidate
from byot_core.domain.trunk import SyncState, Trunk

__all__ = ["SqlNumberRepository"]


def _write_number(conn: Connection, number: PhoneNumber, insert: bool) -> None:
    trunk = lock_trunk(conn, number.trunk_id)
    if trunk is None:
        raise LookupError(f"trunk {number.trunk_id} is not stored")
    if insert and trunk["deleted"]:
        # Deleted since this unit of work saw it: a deleted trunk takes no new number.
        raise TrunkNotFound()
    values = rows.number_values(number, not number.deleted and trunk["is_active"] and not trunk["deleted"])

    def write() -> None:
        if insert:
            conn.execute(sa.insert(phone_numbers).values(**values))
        else:
            del values["id"], values["created_at"]
            # A removed number never comes back, even if a concurrent removal landed after this unit of work read it.
            still_live = sa.or_(sa.not_(phone_numbers.c.deleted), sa.literal(number.deleted))
            updated = conn.execute(
                sa.update(phone_numbers).where(phone_numbers.c.id == number.id, still_live).values(**values)
            )
            if updated.rowcount != 1:
                raise PhoneNumberRemoved()

    if guarded(conn, write):
        return
    same_trunk = conn.execute(
        sa.select(phone_numbers.c.id).where(
            phone_numbers.c.trunk_id == number.trunk_id,
            phone_numbers.c.canonical_key == number.canonical_key,
            phone_numbers.c.id != number.id,
            sa.not_(phone_numbers.c.deleted),
        )
    )
    if same_trunk.first() is not None:
        raise PhoneNumberOnTrunk()
    raise PhoneNumberConflict()


def _insert_numbers(conn: Connection, numbers: Sequence[PhoneNumber]) -> None:
    states = {trunk_id: lock_trunk(conn, trunk_id) for trunk_id in {n.trunk_id for n in numbers}}
    if any(state is None for state in states.values()):
        raise LookupError("a trunk of these numbers is not stored")
    values = [
        rows.number_values(n, not n.deleted and state["is_active"] and not state["deleted"])
        for n in numbers
        if (state := states[n.trunk_id]) is not None
    ]

    def insert() -> None:
        conn.execute(sa.insert(phone_numbers), values)

    if guarded(conn, insert):
        return
    # The database refused the batch: the same writes one by one name the number and the error.
    for number in numbers:
        _write_number(conn, number, True)
    raise AssertionError("a refused batch of numbers was accepted number by number")


# A DID's live numbers on live trunks, with what tells whether the trunk is cached: its id, revision and sync state
# (the only field that changes without a new revision). The trunk itself comes from the cache, or is read on its own.
# Compiled for asyncpg too: on PostgreSQL a session that reads no snapshot sends it on the driver (driver_select.py).
_CANDIDATES = DriverSelect.of(
    sa.select(
        phone_numbers,
        trunks.c.id.label("t_id"),
        trunks.c.revision.label("t_revision"),
        trunks.c.sync_state.label("t_sync_state"),
    )
    .join(trunks, trunks.c.id == phone_numbers.c.trunk_id)
    .where(
        phone_numbers.c.canonical_key == sa.bindparam("key"),
        sa.not_(phone_numbers.c.deleted),
        sa.not_(trunks.c.deleted),
    )
)


def _stored_trunk(conn: Connection, row: rows.Row, cache: AggregateCache) -> Trunk | None:
    """The candidate's trunk read on its own, at the revision its row names; ``None`` if it changed since."""
    trunk = load_trunk(conn, TRUNK_BY_ID, {"id": row["t_id"]}, cache)
    if trunk is None or trunk.revision != row["t_revision"]:
        return None  # changed (or deleted) since the candidates were read: read them again
    if trunk.sync_state.value != row["t_sync_state"]:
        trunk = attrs.evolve(trunk, sync_state=SyncState(row["t_sync_state"]))
    return trunk


async def _routing_candidates(session: Session, key: str, cache: AggregateCache) -> list[RouteCandidate]:
    for _ in range(READ_TRIES):
        candidates = []
        for row in await session.select(_CANDIDATES, {"key": key}):
            trunk = cached_trunk(cache, row["t_id"], row["t_revision"], row["t_sync_state"])
            if trunk is None:
                trunk = await session.run(_stored_trunk, row, cache, write=False)
            if trunk is None:
                break  # a trunk changed between the statements (routing reads outside a snapshot): read again
            candidates.append(RouteCandidate(rows.number_from_row(row), trunk, cache.sources(trunk)))
        else:
            return candidates
    raise StorageBusy()


# Built once, with bound parameters (see common.py).
# A live trunk's state (id, revision, sync state) and its live numbers, in one statement: a row per number, or one row
# with no number; no row when the account has no such live trunk (and then no live number on it either: removing a
# trunk removes its numbers in the same transaction).
_NUMBERS_OF_TRUNK = (
    sa.select(
        trunks.c.id.label("t_id"),
        trunks.c.revision.label("t_revision"),
        trunks.c.sync_state.label("t_sync_state"),
        phone_numbers,
    )
    .select_from(
        trunks.outerjoin(
            phone_numbers,
            sa.and_(
                phone_numbers.c.trunk_id == trunks.c.id,
                phone_numbers.c.account_id == trunks.c.account_id,
                sa.not_(phone_numbers.c.deleted),
            ),
        )
    )
    .where(
        trunks.c.id == sa.bindparam("trunk"),
        trunks.c.account_id == sa.bindparam("account"),
        sa.not_(trunks.c.deleted),
    )
    .order_by(phone_numbers.c.created_at, phone_numbers.c.id)
)
_NUMBER = sa.select(phone_numbers).where(
    phone_numbers.c.id == sa.bindparam("id"), phone_numbers.c.account_id == sa.bindparam("account")
)


class SqlNumberRepository:
    """Phone numbers, kept with ``holds_did`` equal to "live number on an active trunk"."""

    def __init__(self, session: Session, cache: AggregateCache, seen: SeenTrunks | None = None) -> None:
        self._session = session
        self._cache = cache
        self._seen = seen

    async def add(self, number: PhoneNumber) -> None:
        """Insert a number; ``PhoneNumberConflict`` or ``PhoneNumberOnTrunk`` when its DID is taken."""
        await self._session.run(_write_number, number, True)

    async def add_all(self, numbers: Sequence[PhoneNumber]) -> None:
        """Insert several numbers in one statement; when an index refuses it, number by number to name the error."""
        if numbers:
            await self._session.run(_insert_numbers, numbers)

    async def update(self, number: PhoneNumber) -> None:
        """Rewrite a number, keeping ``holds_did`` right."""
        await self._session.run(_write_number, number, False)

    async def get(self, account_id: str, number_id: str) -> PhoneNumber | None:
        """The account's number, removed ones included."""
        params = {"id": number_id, "account": account_id}
        row = await self._session.run(lambda conn: conn.execute(_NUMBER, params).mappings().first(), write=False)
        return rows.number_from_row(row) if row is not None else None

    async def list_for_trunk(self, account_id: str, trunk_id: str) -> Sequence[PhoneNumber]:
        """A trunk's live numbers, oldest first (the trunk's state, read with them, is noted for its own read)."""
        params = {"trunk": trunk_id, "account": account_id}
        found = await self._session.run(read_rows, _NUMBERS_OF_TRUNK, params, write=False)
        if self._seen is not None:
            self._seen[(account_id, trunk_id)] = (found[0]["t_revision"], found[0]["t_sync_state"]) if found else None
        return [rows.number_from_row(row) for row in found if row["id"] is not None]

    async def remove_all_for_trunk(self, trunk_id: str, now: datetime) -> int:
        """Soft-delete a trunk's live numbers and clear their mappings; return how many."""
        statement = (
            sa.update(phone_numbers)
            .where(phone_numbers.c.trunk_id == trunk_id, sa.not_(phone_numbers.c.deleted))
            .values(deleted=True, agent_id=None, holds_did=False, updated_at=now)
        )

        def remove(conn: Connection) -> int:
            # The trunk's row first, as every other write of its numbers does: one order of locks, no deadlock.
            lock_trunk(conn, trunk_id)
            return int(conn.execute(statement).rowcount)

        return await self._session.run(remove)

    async def routing_candidates(self, key: str) -> Sequence[RouteCandidate]:
        """Live numbers with the key, with their trunks and cached source matchers."""
        return await _routing_candidates(self._session, key, self._cache)
