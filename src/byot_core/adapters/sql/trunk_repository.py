"""Trunks in SQL: rows with their gateways and identifiers, names unique per account, DIDs held once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection

from byot_core.adapters.sql import rows
from byot_core.adapters.sql.cache import AggregateCache, Children, SeenTrunks, cached_trunk
from byot_core.adapters.sql.common import (
    TRUNK_BY_ID,
    TRUNK_OF_ACCOUNT,
    TRUNK_OF_ACCOUNT_FOR_UPDATE,
    TRUNK_STATE_OF_ACCOUNT,
    children_of,
    guarded,
    insert_of,
    load_trunk,
    lock_trunk,
    write_rows,
)
from byot_core.adapters.sql.database import Session
from byot_core.adapters.sql.schema import (
    gateways,
    ip_identifiers,
    phone_numbers,
    trunk_pacing,
    trunks,
)
from byot_core.domain.errors import (
    PhoneNumberConflict,
    StorageBusy,
    TrunkNameConflict,
    TrunkNotFound,
)
from byot_core.domain.pacing import reserve_slot
from byot_core.domain.secret import SealedSecret
from byot_core.domain.trunk import SyncState, Trunk
from byot_core.domain.uniqueness import name_key
from byot_core.ports.storage import TrunkSummary

__all__ = ["SqlTrunkRepository"]


# Statements built once (building and caching one per call cost more than SQLite running it).
_INSERT_TRUNK = {dialect: insert_of(trunks, skip_conflicts=dialect) for dialect in ("sqlite", "postgresql")}
_INSERT_GATEWAYS = insert_of(gateways)
_INSERT_IDENTIFIERS = insert_of(ip_identifiers)
_DELETE_GATEWAYS = sa.delete(gateways).where(gateways.c.trunk_id == sa.bindparam("trunk"))
_DELETE_IDENTIFIERS = sa.delete(ip_identifiers).where(ip_identifiers.c.trunk_id == sa.bindparam("trunk"))
_SET_SYNC_STATE = (
    sa.update(trunks)
    .where(trunks.c.id == sa.bindparam("trunk"))
    .values(sync_state=sa.bindparam("state"), sync_error=sa.bindparam("error"))
)
_SET_SYNC_STATE_OF = _SET_SYNC_STATE.where(trunks.c.revision == sa.bindparam("of_revision"))


def _replace_children(conn: Connection, trunk: Trunk, stored: Children | None) -> None:
    """Write the trunk's gateways and identifiers, replacing the stored lists only when they differ."""
    old_gateways, old_identifiers = stored if stored is not None else ((), ())
    if trunk.gateways != old_gateways:
        if stored is not None:
            write_rows(conn, _DELETE_GATEWAYS, {"trunk": trunk.id})
        if trunk.gateways:
            values = [rows.gateway_values(trunk.id, i, g) for i, g in enumerate(trunk.gateways)]
            write_rows(conn, _INSERT_GATEWAYS, values)
    if trunk.ip_identifiers != old_identifiers:
        if stored is not None:
            write_rows(conn, _DELETE_IDENTIFIERS, {"trunk": trunk.id})
        if trunk.ip_identifiers:
            values = [rows.identifier_values(trunk.id, i, d) for i, d in enumerate(trunk.ip_identifiers)]
            write_rows(conn, _INSERT_IDENTIFIERS, values)


#: Another live trunk of the account with the name: one entry of the name's unique index (a test checks the plan).
NAME_TAKEN = sa.select(trunks.c.id).where(
    trunks.c.account_id == sa.bindparam("account"),
    trunks.c.name_key == sa.bindparam("name_key"),
    trunks.c.id != sa.bindparam("id"),
    sa.not_(trunks.c.deleted),
)


def _raise_name_conflict(conn: Connection, trunk: Trunk) -> None:
    params = {"account": trunk.account_id, "name_key": name_key(trunk.name), "id": trunk.id}
    if conn.execute(NAME_TAKEN, params).first() is not None:
        raise TrunkNameConflict()


def _raise_did_conflict(conn: Connection, trunk: Trunk) -> None:
    mine, other = phone_numbers.alias("mine"), phone_numbers.alias("other")
    clash = conn.execute(
        sa.select(mine.c.phone_number)
        .join(other, sa.and_(other.c.canonical_key == mine.c.canonical_key, other.c.holds_did))
        .where(mine.c.trunk_id == trunk.id, sa.not_(mine.c.deleted), other.c.trunk_id != trunk.id)
        .order_by(mine.c.created_at, mine.c.id)
        .limit(1)
    )
    number = clash.scalar()
    if number is not None:
        raise PhoneNumberConflict(number)


def _add_trunk(conn: Connection, trunk: Trunk) -> None:
    # The name's unique index refuses a taken name: the row is then not inserted, and nothing else was written.
    if (
        write_rows(
            conn, _INSERT_TRUNK[conn.dialect.name], {**rows.trunk_values(trunk), "revision": 1, "sync_error": None}
        )
        != 1
    ):
        _raise_name_conflict(conn, trunk)
        raise RuntimeError(f"trunk {trunk.id} was refused by a constraint this library does not know")
    _replace_children(conn, trunk, None)


def _update_trunk(conn: Connection, trunk: Trunk) -> None:
    before = lock_trunk(conn, trunk.id)
    if before is None:
        raise LookupError(f"trunk {trunk.id} is not stored")
    if before["deleted"] and not trunk.deleted:
        # Deleted by someone else since this unit of work read it: a deleted trunk never comes back.
        raise TrunkNotFound()
    if before["revision"] != trunk.revision:
        # Changed by another unit of work since this one read it: writing would undo that change unseen.
        raise StorageBusy()
    was_routing = before["is_active"] and not before["deleted"]

    def write() -> None:
        values = rows.trunk_values(trunk)
        del values["id"], values["created_at"]
        conn.execute(sa.update(trunks).where(trunks.c.id == trunk.id).values(**values, revision=trunks.c.revision + 1))
        _replace_children(conn, trunk, children_of(conn, [trunk.id])[trunk.id])
        if trunk.routes_calls != was_routing:
            live = sa.and_(phone_numbers.c.trunk_id == trunk.id, sa.not_(phone_numbers.c.deleted))
            conn.execute(sa.update(phone_numbers).where(live).values(holds_did=trunk.routes_calls))

    if not guarded(conn, write):
        _raise_name_conflict(conn, trunk)
        _raise_did_conflict(conn, trunk)
        raise RuntimeError(f"trunk {trunk.id} was refused by a constraint this library does not know")


# Counted for each listed trunk on the index of its live numbers (a count of every number in the database, grouped,
# cost 60 ms at 100,000 numbers whatever the account's size).
_LIVE_NUMBERS = (
    sa.select(sa.func.count())
    .where(phone_numbers.c.trunk_id == trunks.c.id, sa.not_(phone_numbers.c.deleted))
    .scalar_subquery()
)


def _list_trunks(conn: Connection, account_id: str, is_active: bool | None) -> list[TrunkSummary]:
    query = (
        sa.select(trunks, _LIVE_NUMBERS.label("phone_numbers_count"))
        .where(trunks.c.account_id == account_id, sa.not_(trunks.c.deleted))
        .order_by(trunks.c.created_at, trunks.c.id)
    )
    if is_active is not None:
        query = query.where(trunks.c.is_active == is_active)
    found = conn.execute(query).mappings().all()
    children = children_of(conn, [row["id"] for row in found])
    return [TrunkSummary(rows.trunk_from_row(row, *children[row["id"]]), row["phone_numbers_count"]) for row in found]


_EXISTS = sa.select(trunks.c.id).where(
    trunks.c.id == sa.bindparam("id"), trunks.c.account_id == sa.bindparam("account"), sa.not_(trunks.c.deleted)
)


class SqlTrunkRepository:
    """Trunks with their gateways and identifiers."""

    def __init__(self, session: Session, cache: AggregateCache | None = None, seen: SeenTrunks | None = None) -> None:
        self._session = session
        self._cache = cache
        self._seen = seen
        # Trunks written in this unit of work, at their new revision: cached once it commits.
        self._written: list[tuple[Trunk, int]] = []

    def committed(self) -> None:
        """The unit of work committed: cache the trunks it wrote, with their children, at their new revisions.

        So the next read of a trunk just created or changed finds it without reading its row and children again
        (the first GETs after a burst of creates read one short row each, and a GET stays two statements). Only
        after the commit: a cached revision must be one that is stored.
        """
        if self._cache is not None:
            for trunk, revision in self._written:
                self._cache.put(trunk.id, revision, (trunk.gateways, trunk.ip_identifiers), trunk)
        self._written.clear()

    def rolled_back(self) -> None:
        """The unit of work was rolled back: nothing it wrote is stored."""
        self._written.clear()

    async def add(self, trunk: Trunk) -> None:
        """Insert a trunk and its children; ``TrunkNameConflict`` if the name is taken."""
        await self._session.run(_add_trunk, trunk)
        self._written.append((trunk, 1))

    async def get(self, account_id: str, trunk_id: str, *, for_update: bool = False) -> Trunk | None:
        """The account's live trunk, or ``None``; ``for_update`` locks its row until the unit of work ends."""
        params = {"id": trunk_id, "account": account_id}
        if for_update:
            return await self._session.run(load_trunk, TRUNK_OF_ACCOUNT_FOR_UPDATE, params, self._cache)
        if self._seen is not None and (account_id, trunk_id) in self._seen:
            # Its state was read with its numbers in this unit of work: no live trunk, or one perhaps cached.
            state = self._seen.pop((account_id, trunk_id))
            if state is None:
                return None
            if self._cache is not None and (held := cached_trunk(self._cache, trunk_id, *state)) is not None:
                return held
        return await self._session.run(
            load_trunk, TRUNK_OF_ACCOUNT, params, self._cache, TRUNK_STATE_OF_ACCOUNT, write=False
        )

    async def exists(self, account_id: str, trunk_id: str) -> bool:
        """Whether the account has a live trunk with that id (one indexed read, no children)."""
        params = {"id": trunk_id, "account": account_id}
        return await self._session.run(lambda conn: conn.execute(_EXISTS, params).first() is not None, write=False)

    async def get_any(self, trunk_id: str) -> Trunk | None:
        """A trunk by id, deleted or not."""
        return await self._session.run(load_trunk, TRUNK_BY_ID, {"id": trunk_id}, self._cache, write=False)

    async def list(self, account_id: str, is_active: bool | None = None) -> Sequence[TrunkSummary]:
        """The account's live trunks with number counts, in three statements."""
        return await self._session.run(_list_trunks, account_id, is_active, write=False)

    async def update(self, trunk: Trunk) -> None:
        """Rewrite a trunk, its changed children and its numbers' ``holds_did``; conflicts raise domain errors."""
        await self._session.run(_update_trunk, trunk)
        self._written.append((trunk, trunk.revision + 1))

    async def reserve_attempt(
        self, trunk_id: str, calls_per_second: int, now: datetime, max_wait: timedelta | None
    ) -> datetime | None:
        """Take the trunk's next attempt slot, its row locked first (PostgreSQL; SQLite writers take turns)."""

        def reserve(conn: Connection) -> datetime | None:
            lock_trunk(conn, trunk_id)
            found = conn.execute(sa.select(trunk_pacing.c.next_free).where(trunk_pacing.c.trunk_id == trunk_id))
            next_free = found.scalar()
            slot = reserve_slot(next_free, now, calls_per_second, max_wait)
            if slot is None:
                return None
            if next_free is None:
                conn.execute(sa.insert(trunk_pacing).values(trunk_id=trunk_id, next_free=slot.next_free))
            else:
                update = sa.update(trunk_pacing).where(trunk_pacing.c.trunk_id == trunk_id)
                conn.execute(update.values(next_free=slot.next_free))
            return slot.at

        return await self._session.run(reserve)

    async def set_sync_state(
        self, trunk_id: str, state: SyncState, *, revision: int | None = None, error: str | None = None
    ) -> bool:
        """Record the telephony sync state (of that revision only, when given); whether a row was updated."""
        params: dict[str, object] = {"trunk": trunk_id, "state": state.value, "error": error}
        statement = _SET_SYNC_STATE
        if revision is not None:
            statement, params["of_revision"] = _SET_SYNC_STATE_OF, revision
        # Both databases count the rows the WHERE matched, whether or not the value changed.
        return await self._session.run(lambda conn: write_rows(conn, statement, params) > 0)

    async def sync_error(self, trunk_id: str) -> str | None:
        """Why the last recorded push failed (a column outside the cached aggregate: read only when shown)."""
        query = sa.select(trunks.c.sync_error).where(trunks.c.id == trunk_id)
        return await self._session.run(lambda conn: conn.execute(query).scalar(), write=False)

    async def all_ids(self) -> Sequence[str]:
        """Every trunk id."""
        query = sa.select(trunks.c.id).order_by(trunks.c.id)
        return await self._session.run(lambda conn: list(conn.execute(query).scalars()), write=False)

    async def any_sealed_password(self) -> SealedSecret | None:
        """One stored sealed password, if any."""
        query = sa.select(trunks.c.auth_password).where(trunks.c.auth_password.is_not(None)).limit(1)
        token = await self._session.run(lambda conn: conn.execute(query).scalar(), write=False)
        return SealedSecret(token) if token is not None else None
