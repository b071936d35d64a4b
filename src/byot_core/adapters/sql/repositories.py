"""The storage port's repositories on SQLAlchemy Core.

Each repository call is one synchronous function of a ``Connection`` (see :mod:`.database` for how it runs without
blocking the event loop). Uniqueness is enforced by the schema's unique indexes: a guarded write runs in a savepoint;
when an index refuses it, the savepoint is rolled back (the transaction stays usable) and a read classifies the
conflict into the domain's error. The read only names the problem: the database already decided it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from byot_core.adapters.sql import rows
from byot_core.adapters.sql.database import Session
from byot_core.adapters.sql.schema import (
    execution_channels,
    executions,
    gateways,
    ip_identifiers,
    phone_numbers,
    trunks,
)
from byot_core.domain.errors import (
    PhoneNumberConflict,
    PhoneNumberOnTrunk,
    PhoneNumberRemoved,
    TrunkNameConflict,
    TrunkNotFound,
)
from byot_core.domain.execution import Execution
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.routing import RouteCandidate, allowed_sources
from byot_core.domain.secret import SealedSecret
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import Gateway, IpIdentifier, SyncState, Trunk
from byot_core.domain.uniqueness import name_key
from byot_core.ports.storage import TrunkSummary

__all__ = ["AggregateCache", "SqlExecutionRepository", "SqlNumberRepository", "SqlTrunkRepository"]

Children = tuple[tuple[Gateway, ...], tuple[IpIdentifier, ...]]


class AggregateCache:
    """Gateways, identifiers and source matchers of recently routed trunks, by trunk id and revision.

    Shared by every unit of work of one storage (and its worker threads, hence the lock); an entry is used only while
    its revision is the stored one, so writes from other processes are seen as soon as their transactions commit.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[int, Children, SourceMatcher]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, trunk_id: str, revision: int) -> tuple[Children, SourceMatcher] | None:
        """The cached children and matcher of this revision, if any."""
        with self._lock:
            entry = self._entries.get(trunk_id)
            if entry is None or entry[0] != revision:
                return None
            self._entries.move_to_end(trunk_id)
            return entry[1], entry[2]

    def put(self, trunk_id: str, revision: int, children: Children, sources: SourceMatcher) -> None:
        """Remember a trunk's children and matcher at a revision."""
        with self._lock:
            self._entries[trunk_id] = (revision, children, sources)
            self._entries.move_to_end(trunk_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)


def _guarded(conn: Connection, write: Callable[[], None]) -> bool:
    """Run ``write`` in a savepoint; ``False`` (with the savepoint rolled back) if a constraint refused it."""
    try:
        with conn.begin_nested():
            write()
    except IntegrityError:
        return False
    return True


_NO_NUMBER = sa.cast(sa.null(), sa.Integer)
# Gateways and identifiers of the trunks in the "ids" list, in one statement (one round trip).
_CHILDREN = sa.union_all(
    sa.select(
        sa.literal("g").label("kind"),
        gateways.c.id,
        gateways.c.trunk_id,
        gateways.c.position,
        gateways.c.address.label("text"),
        gateways.c.port,
        gateways.c.priority,
        gateways.c.weight,
        gateways.c.created_at,
    ).where(gateways.c.trunk_id.in_(sa.bindparam("ids", expanding=True))),
    sa.select(
        sa.literal("i").label("kind"),
        ip_identifiers.c.id,
        ip_identifiers.c.trunk_id,
        ip_identifiers.c.position,
        ip_identifiers.c.ip_address.label("text"),
        _NO_NUMBER,
        _NO_NUMBER,
        _NO_NUMBER,
        ip_identifiers.c.created_at,
    ).where(ip_identifiers.c.trunk_id.in_(sa.bindparam("ids", expanding=True))),
)


def _children(conn: Connection, trunk_ids: Sequence[str]) -> dict[str, Children]:
    """Gateways and identifiers of several trunks in one statement, whatever their number."""
    if not trunk_ids:
        return {}
    found: dict[str, tuple[list[tuple[int, Gateway]], list[tuple[int, IpIdentifier]]]] = {
        i: ([], []) for i in trunk_ids
    }
    for row in conn.execute(_CHILDREN, {"ids": list(trunk_ids)}).mappings():
        gateway_list, identifier_list = found[row["trunk_id"]]
        if row["kind"] == "g":
            gateway_list.append((row["position"], rows.gateway_from_row({**row, "address": row["text"]})))
        else:
            identifier_list.append((row["position"], rows.identifier_from_row({**row, "ip_address": row["text"]})))
    return {
        i: (tuple(g for _, g in sorted(gs, key=lambda p: p[0])), tuple(d for _, d in sorted(ds, key=lambda p: p[0])))
        for i, (gs, ds) in found.items()
    }


def _lock_trunk(conn: Connection, trunk_id: str) -> sa.RowMapping | None:
    """Read a trunk's state, locking its row (PostgreSQL) so its numbers' ``holds_did`` cannot race its activation.

    SQLite needs no row lock: every transaction holds the database's write lock from its start.
    """
    query = sa.select(trunks.c.is_active, trunks.c.deleted).where(trunks.c.id == trunk_id).with_for_update()
    return conn.execute(query).mappings().first()


def _load_trunk(conn: Connection, condition: sa.ColumnElement[bool]) -> Trunk | None:
    row = conn.execute(sa.select(trunks).where(condition)).mappings().first()
    if row is None:
        return None
    return rows.trunk_from_row(row, *_children(conn, [row["id"]])[row["id"]])


def _replace_children(conn: Connection, trunk: Trunk, stored: Children | None) -> None:
    """Write the trunk's gateways and identifiers, replacing the stored lists only when they differ."""
    old_gateways, old_identifiers = stored if stored is not None else ((), ())
    if trunk.gateways != old_gateways:
        if stored is not None:
            conn.execute(sa.delete(gateways).where(gateways.c.trunk_id == trunk.id))
        if trunk.gateways:
            conn.execute(
                sa.insert(gateways), [rows.gateway_values(trunk.id, i, g) for i, g in enumerate(trunk.gateways)]
            )
    if trunk.ip_identifiers != old_identifiers:
        if stored is not None:
            conn.execute(sa.delete(ip_identifiers).where(ip_identifiers.c.trunk_id == trunk.id))
        if trunk.ip_identifiers:
            values = [rows.identifier_values(trunk.id, i, d) for i, d in enumerate(trunk.ip_identifiers)]
            conn.execute(sa.insert(ip_identifiers), values)


def _raise_name_conflict(conn: Connection, trunk: Trunk) -> None:
    taken = conn.execute(
        sa.select(trunks.c.id).where(
            trunks.c.account_id == trunk.account_id,
            trunks.c.name_key == name_key(trunk.name),
            trunks.c.id != trunk.id,
            sa.not_(trunks.c.deleted),
        )
    )
    if taken.first() is not None:
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
    def write() -> None:
        conn.execute(sa.insert(trunks).values(**rows.trunk_values(trunk), revision=1))
        _replace_children(conn, trunk, None)

    if not _guarded(conn, write):
        _raise_name_conflict(conn, trunk)
        raise RuntimeError(f"trunk {trunk.id} was refused by a constraint this library does not know")


def _update_trunk(conn: Connection, trunk: Trunk) -> None:
    before = _lock_trunk(conn, trunk.id)
    if before is None:
        raise LookupError(f"trunk {trunk.id} is not stored")
    if before["deleted"] and not trunk.deleted:
        # Deleted by someone else since this unit of work read it: a deleted trunk never comes back.
        raise TrunkNotFound()
    was_routing = before["is_active"] and not before["deleted"]

    def write() -> None:
        values = rows.trunk_values(trunk)
        del values["id"], values["created_at"]
        conn.execute(sa.update(trunks).where(trunks.c.id == trunk.id).values(**values, revision=trunks.c.revision + 1))
        _replace_children(conn, trunk, _children(conn, [trunk.id])[trunk.id])
        if trunk.routes_calls != was_routing:
            live = sa.and_(phone_numbers.c.trunk_id == trunk.id, sa.not_(phone_numbers.c.deleted))
            conn.execute(sa.update(phone_numbers).where(live).values(holds_did=trunk.routes_calls))

    if not _guarded(conn, write):
        _raise_name_conflict(conn, trunk)
        _raise_did_conflict(conn, trunk)
        raise RuntimeError(f"trunk {trunk.id} was refused by a constraint this library does not know")


def _list_trunks(conn: Connection, account_id: str, is_active: bool | None) -> list[TrunkSummary]:
    counts = (
        sa.select(phone_numbers.c.trunk_id, sa.func.count().label("n"))
        .where(sa.not_(phone_numbers.c.deleted))
        .group_by(phone_numbers.c.trunk_id)
        .subquery()
    )
    query = (
        sa.select(trunks, sa.func.coalesce(counts.c.n, 0).label("phone_numbers_count"))
        .outerjoin(counts, counts.c.trunk_id == trunks.c.id)
        .where(trunks.c.account_id == account_id, sa.not_(trunks.c.deleted))
        .order_by(trunks.c.created_at, trunks.c.id)
    )
    if is_active is not None:
        query = query.where(trunks.c.is_active == is_active)
    found = conn.execute(query).mappings().all()
    children = _children(conn, [row["id"] for row in found])
    return [TrunkSummary(rows.trunk_from_row(row, *children[row["id"]]), row["phone_numbers_count"]) for row in found]


class SqlTrunkRepository:
    """Trunks with their gateways and identifiers."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, trunk: Trunk) -> None:
        """Insert a trunk and its children; ``TrunkNameConflict`` if the name is taken."""
        await self._session.run(_add_trunk, trunk)

    async def get(self, account_id: str, trunk_id: str) -> Trunk | None:
        """The account's live trunk, or ``None``."""
        condition = sa.and_(trunks.c.id == trunk_id, trunks.c.account_id == account_id, sa.not_(trunks.c.deleted))
        return await self._session.run(_load_trunk, condition, write=False)

    async def exists(self, account_id: str, trunk_id: str) -> bool:
        """Whether the account has a live trunk with that id (one indexed read, no children)."""
        query = sa.select(trunks.c.id).where(
            trunks.c.id == trunk_id, trunks.c.account_id == account_id, sa.not_(trunks.c.deleted)
        )
        return await self._session.run(lambda conn: conn.execute(query).first() is not None, write=False)

    async def get_any(self, trunk_id: str) -> Trunk | None:
        """A trunk by id, deleted or not."""
        return await self._session.run(_load_trunk, trunks.c.id == trunk_id, write=False)

    async def list(self, account_id: str, is_active: bool | None = None) -> Sequence[TrunkSummary]:
        """The account's live trunks with number counts, in three statements."""
        return await self._session.run(_list_trunks, account_id, is_active, write=False)

    async def update(self, trunk: Trunk) -> None:
        """Rewrite a trunk, its changed children and its numbers' ``holds_did``; conflicts raise domain errors."""
        await self._session.run(_update_trunk, trunk)

    async def set_sync_state(self, trunk_id: str, state: SyncState) -> None:
        """Record the telephony sync state."""
        statement = sa.update(trunks).where(trunks.c.id == trunk_id).values(sync_state=state.value)
        await self._session.run(lambda conn: conn.execute(statement))

    async def all_ids(self) -> Sequence[str]:
        """Every trunk id."""
        query = sa.select(trunks.c.id).order_by(trunks.c.id)
        return await self._session.run(lambda conn: list(conn.execute(query).scalars()), write=False)

    async def any_sealed_password(self) -> SealedSecret | None:
        """One stored sealed password, if any."""
        query = sa.select(trunks.c.auth_password).where(trunks.c.auth_password.is_not(None)).limit(1)
        token = await self._session.run(lambda conn: conn.execute(query).scalar(), write=False)
        return SealedSecret(token) if token is not None else None


def _write_number(conn: Connection, number: PhoneNumber, insert: bool) -> None:
    trunk = _lock_trunk(conn, number.trunk_id)
    if trunk is None:
        raise LookupError(f"trunk {number.trunk_id} is not stored")
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

    if _guarded(conn, write):
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


_TRUNK_LABELS = [c.label(f"t_{c.name}") for c in trunks.c]
_CANDIDATES = (
    sa.select(phone_numbers, *_TRUNK_LABELS)
    .join(trunks, trunks.c.id == phone_numbers.c.trunk_id)
    .where(
        phone_numbers.c.canonical_key == sa.bindparam("key"),
        sa.not_(phone_numbers.c.deleted),
        sa.not_(trunks.c.deleted),
    )
)


def _routing_candidates(conn: Connection, key: str, cache: AggregateCache) -> list[RouteCandidate]:
    found = conn.execute(_CANDIDATES, {"key": key}).mappings().all()
    if not found:
        return []
    cached = {row["t_id"]: cache.get(row["t_id"], row["t_revision"]) for row in found}
    missing = [trunk_id for trunk_id, entry in cached.items() if entry is None]
    loaded = _children(conn, missing) if missing else {}
    candidates = []
    for row in found:
        trunk_row = {c.name: row[f"t_{c.name}"] for c in trunks.c}
        entry = cached[row["t_id"]]
        if entry is None:
            children = loaded[row["t_id"]]
            trunk = rows.trunk_from_row(trunk_row, *children)
            entry = (children, allowed_sources(trunk))
            cache.put(trunk.id, row["t_revision"], *entry)
            cached[trunk.id] = entry
        else:
            trunk = rows.trunk_from_row(trunk_row, *entry[0])
        candidates.append(RouteCandidate(rows.number_from_row(row), trunk, entry[1]))
    return candidates


class SqlNumberRepository:
    """Phone numbers, kept with ``holds_did`` equal to "live number on an active trunk"."""

    def __init__(self, session: Session, cache: AggregateCache) -> None:
        self._session = session
        self._cache = cache

    async def add(self, number: PhoneNumber) -> None:
        """Insert a number; ``PhoneNumberConflict`` or ``PhoneNumberOnTrunk`` when its DID is taken."""
        await self._session.run(_write_number, number, True)

    async def update(self, number: PhoneNumber) -> None:
        """Rewrite a number, keeping ``holds_did`` right."""
        await self._session.run(_write_number, number, False)

    async def get(self, account_id: str, number_id: str) -> PhoneNumber | None:
        """The account's number, removed ones included."""
        query = sa.select(phone_numbers).where(
            phone_numbers.c.id == number_id, phone_numbers.c.account_id == account_id
        )
        row = await self._session.run(lambda conn: conn.execute(query).mappings().first(), write=False)
        return rows.number_from_row(row) if row is not None else None

    async def list_for_trunk(self, account_id: str, trunk_id: str) -> Sequence[PhoneNumber]:
        """A trunk's live numbers, oldest first."""
        query = (
            sa.select(phone_numbers)
            .where(
                phone_numbers.c.trunk_id == trunk_id,
                phone_numbers.c.account_id == account_id,
                sa.not_(phone_numbers.c.deleted),
            )
            .order_by(phone_numbers.c.created_at, phone_numbers.c.id)
        )
        found = await self._session.run(lambda conn: conn.execute(query).mappings().all(), write=False)
        return [rows.number_from_row(row) for row in found]

    async def remove_all_for_trunk(self, trunk_id: str, now: datetime) -> int:
        """Soft-delete a trunk's live numbers and clear their mappings; return how many."""
        statement = (
            sa.update(phone_numbers)
            .where(phone_numbers.c.trunk_id == trunk_id, sa.not_(phone_numbers.c.deleted))
            .values(deleted=True, agent_id=None, holds_did=False, updated_at=now)
        )
        return await self._session.run(lambda conn: int(conn.execute(statement).rowcount))

    async def routing_candidates(self, key: str) -> Sequence[RouteCandidate]:
        """Live numbers with the key, with their trunks and cached source matchers."""
        return await self._session.run(_routing_candidates, key, self._cache, write=False)


def _index_channels(conn: Connection, execution: Execution) -> None:
    known = set(
        conn.execute(
            sa.select(execution_channels.c.channel_id).where(execution_channels.c.execution_id == execution.id)
        ).scalars()
    )
    new = [
        {"channel_id": a.channel_id, "execution_id": execution.id}
        for a in execution.attempts
        if a.channel_id not in known
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
        """The execution using that channel, or ``None``."""
        return await self._one(
            sa.select(executions)
            .join(execution_channels, execution_channels.c.execution_id == executions.c.id)
            .where(execution_channels.c.channel_id == channel_id)
        )

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
