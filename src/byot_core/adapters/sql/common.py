"""What the SQL repositories share: guarded writes, trunks read with their children, prebuilt statements.

Each repository call is one synchronous function of a ``Connection`` (see :mod:`.database` for how it runs).
Uniqueness is enforced by the schema's unique indexes: a guarded write runs in a savepoint; when an index refuses it,
the savepoint is rolled back (the transaction stays usable) and a read classifies the conflict into the domain's
error. The read only names the problem: the database already decided it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError

from byot_core.adapters.sql import rows
from byot_core.adapters.sql.cache import AggregateCache, Children, cached_trunk
from byot_core.adapters.sql.schema import gateways, ip_identifiers, trunks
from byot_core.domain.errors import StorageBusy
from byot_core.domain.trunk import Gateway, IpIdentifier, Trunk

__all__ = [
    "READ_TRIES",
    "TRUNK_BY_ID",
    "TRUNK_OF_ACCOUNT",
    "TRUNK_OF_ACCOUNT_FOR_UPDATE",
    "TRUNK_STATE_OF_ACCOUNT",
    "children_at",
    "children_of",
    "guarded",
    "insert_of",
    "load_trunk",
    "lock_trunk",
    "read_rows",
    "write_rows",
]


def guarded(conn: Connection, write: Callable[[], None]) -> bool:
    """Run ``write`` in a savepoint; ``False`` (with the savepoint rolled back) if a constraint refused it."""
    try:
        with conn.begin_nested():
            write()
    except IntegrityError:
        return False
    return True


_NO_NUMBER = sa.cast(sa.null(), sa.Integer)


def _children_statement(
    trunk_filter: Callable[[sa.Column[Any]], sa.ColumnElement[bool]],
) -> sa.CompoundSelect[Any]:
    """Gateways and identifiers of the trunks ``trunk_filter`` picks, in one statement (one round trip).

    A row of kind ``t`` for each trunk gives its revision (as ``position``) as the same statement saw it.
    """
    return sa.union_all(
        sa.select(
            sa.literal_column("'g'", sa.String).label("kind"),
            gateways.c.id,
            gateways.c.trunk_id,
            gateways.c.position,
            gateways.c.address.label("text"),
            gateways.c.port,
            gateways.c.priority,
            gateways.c.weight,
            gateways.c.created_at,
        ).where(trunk_filter(gateways.c.trunk_id)),
        sa.select(
            sa.literal_column("'i'", sa.String).label("kind"),
            ip_identifiers.c.id,
            ip_identifiers.c.trunk_id,
            ip_identifiers.c.position,
            ip_identifiers.c.ip_address.label("text"),
            _NO_NUMBER,
            _NO_NUMBER,
            _NO_NUMBER,
            ip_identifiers.c.created_at,
        ).where(trunk_filter(ip_identifiers.c.trunk_id)),
        sa.select(
            sa.literal_column("'t'", sa.String).label("kind"),
            trunks.c.id,
            trunks.c.id,
            trunks.c.revision,
            sa.cast(sa.null(), sa.String),
            _NO_NUMBER,
            _NO_NUMBER,
            _NO_NUMBER,
            trunks.c.created_at,
        ).where(trunk_filter(trunks.c.id)),
    )


# Of the trunks in the "ids" list.
_CHILDREN = _children_statement(lambda column: column.in_(sa.bindparam("ids", expanding=True)))


def children_at(conn: Connection, trunk_ids: Sequence[str]) -> dict[str, tuple[int | None, Children]]:
    """Gateways and identifiers of several trunks in one statement, with each trunk's revision as it saw it.

    The revision is ``None`` for no such trunk. Read outside a snapshot, the children belong to that revision, which
    may be newer than a trunk row read by an earlier statement: the caller compares them.
    """
    if not trunk_ids:
        return {}
    found: dict[str, tuple[list[tuple[int, Gateway]], list[tuple[int, IpIdentifier]]]] = {
        i: ([], []) for i in trunk_ids
    }
    revisions: dict[str, int | None] = dict.fromkeys(trunk_ids)
    for row in read_rows(conn, _CHILDREN, {"ids": list(trunk_ids)}):
        gateway_list, identifier_list = found[row["trunk_id"]]
        if row["kind"] == "g":
            gateway_list.append((row["position"], rows.gateway_from_row({**row, "address": row["text"]})))
        elif row["kind"] == "i":
            identifier_list.append((row["position"], rows.identifier_from_row({**row, "ip_address": row["text"]})))
        else:
            revisions[row["trunk_id"]] = row["position"]
    return {
        i: (
            revisions[i],
            (tuple(g for _, g in sorted(gs, key=lambda p: p[0])), tuple(d for _, d in sorted(ds, key=lambda p: p[0]))),
        )
        for i, (gs, ds) in found.items()
    }


def children_of(conn: Connection, trunk_ids: Sequence[str]) -> dict[str, Children]:
    """Gateways and identifiers of several trunks in one statement (in a snapshot, or with the trunks locked)."""
    return {i: children for i, (_, children) in children_at(conn, trunk_ids).items()}


#: How many times a read outside a snapshot is made again when a trunk changed between its statements.
READ_TRIES = 5


def lock_trunk(conn: Connection, trunk_id: str) -> sa.RowMapping | None:
    """Read a trunk's state, locking its row (PostgreSQL) so its numbers' ``holds_did`` cannot race its activation.

    SQLite needs no row lock: every transaction holds the database's write lock from its start.
    """
    query = (
        sa.select(trunks.c.is_active, trunks.c.deleted, trunks.c.revision)
        .where(trunks.c.id == trunk_id)
        .with_for_update()
    )
    return conn.execute(query).mappings().first()


# Statements built once, with bound parameters (SQLAlchemy caches their compiled form).
#: A live trunk of an account: ``id``, ``account``.
TRUNK_OF_ACCOUNT = sa.select(trunks).where(
    trunks.c.id == sa.bindparam("id"), trunks.c.account_id == sa.bindparam("account"), sa.not_(trunks.c.deleted)
)
#: The same trunk's id, revision and sync state only: enough to use a cached trunk (see :func:`load_trunk`).
TRUNK_STATE_OF_ACCOUNT = sa.select(trunks.c.id, trunks.c.revision, trunks.c.sync_state).where(
    trunks.c.id == sa.bindparam("id"), trunks.c.account_id == sa.bindparam("account"), sa.not_(trunks.c.deleted)
)
#: The same, its row locked until the transaction ends (PostgreSQL): the trunk is about to be changed.
TRUNK_OF_ACCOUNT_FOR_UPDATE = TRUNK_OF_ACCOUNT.with_for_update()
#: A trunk by id, deleted or not: ``id``.
TRUNK_BY_ID = sa.select(trunks).where(trunks.c.id == sa.bindparam("id"))


def insert_of(table: sa.Table, *, skip_conflicts: str | None = None) -> sa.Insert:
    """A prebuilt insert of every column of ``table``, each value a bound parameter named as its column.

    ``skip_conflicts`` (a dialect's name) makes it that dialect's ``INSERT … ON CONFLICT DO NOTHING``: a row a unique
    index refuses is not inserted (the row count says so) and the transaction goes on, with no savepoint needed.
    """
    values = {c.name: sa.bindparam(c.name, type_=c.type) for c in table.c}
    if skip_conflicts == "sqlite":
        return sqlite_dialect.insert(table).values(values).on_conflict_do_nothing()
    if skip_conflicts == "postgresql":
        return postgresql_dialect.insert(table).values(values).on_conflict_do_nothing()
    return sa.insert(table).values(values)


def read_rows(
    conn: Connection, statement: sa.Select[Any] | sa.CompoundSelect[Any], params: dict[str, Any]
) -> Sequence[sa.RowMapping]:
    """The rows a select returns with ``params``, each read by column name."""
    return conn.execute(statement, params).mappings().all()


def write_rows(
    conn: Connection,
    statement: sa.Insert | sa.Update | sa.Delete,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> int:
    """Run an insert, update or delete with ``params`` (a list: once for each, as one ``executemany``).

    Returns the number of rows it touched (both databases count the rows the WHERE matched, whether or not a value
    changed); for a list, -1 (not counted).
    """
    if isinstance(params, Mapping):
        return int(conn.execute(statement, params).rowcount)
    conn.execute(statement, list(params))
    return -1


def load_trunk(
    conn: Connection,
    statement: sa.Select[Any],
    params: dict[str, str],
    cache: AggregateCache | None = None,
    probe: sa.Select[Any] | None = None,
) -> Trunk | None:
    """The one trunk ``statement`` finds with ``params``, with its gateways and identifiers, or ``None``.

    With a ``cache``, a trunk cached at the stored revision is used as it is (with the stored sync state), and
    children cached at that revision are used instead of being read again; a trunk read is cached, with its
    children, for the next time. ``probe``, the same filter selecting only the trunk's id, revision and sync state,
    is read first when given: a cached trunk then costs one short row instead of the trunk's thirty columns. Outside
    a snapshot the trunk may change between its row and its children: it is then read again.
    """
    if cache is not None and probe is not None:
        found = read_rows(conn, probe, params)
        if not found:
            return None
        state = found[0]
        held = cached_trunk(cache, state["id"], state["revision"], state["sync_state"])
        if held is not None:
            return held
    for _ in range(READ_TRIES):
        found = read_rows(conn, statement, params)
        row = found[0] if found else None
        if row is None:
            return None
        if cache is not None and (held := cached_trunk(cache, row["id"], row["revision"], row["sync_state"])):
            return held
        children = cache.get(row["id"], row["revision"]) if cache is not None else None
        if children is not None:
            trunk = rows.trunk_from_row(row, *children)
            if cache is not None:
                cache.put(trunk.id, row["revision"], children, trunk)
            return trunk
        revision, children = children_at(conn, [row["id"]])[row["id"]]
        if revision != row["revision"]:
            continue  # changed between the two statements: these children are another revision's
        trunk = rows.trunk_from_row(row, *children)
        if cache is not None:
            cache.put(trunk.id, row["revision"], children, trunk)
        return trunk
    raise StorageBusy()
