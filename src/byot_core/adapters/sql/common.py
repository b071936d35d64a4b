"""What the SQL repositories share: guarded writes, reads of trunks with their children, the aggregates' cache.

Each repository call is one synchronous function of a ``Connection`` (see :mod:`.database` for how it runs without
blocking the event loop). Uniqueness is enforced by the schema's unique indexes: a guarded write runs in a savepoint;
when an index refuses it, the savepoint is rolled back (the transaction stays usable) and a read classifies the
conflict into the domain's error. The read only names the problem: the database already decided it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.util import await_only

from byot_core.adapters.sql import rows
from byot_core.adapters.sql.schema import (
    gateways,
    ip_identifiers,
    trunks,
)
from byot_core.domain.errors import StorageBusy
from byot_core.domain.routing import allowed_sources
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import Gateway, IpIdentifier, SyncState, Trunk

__all__ = [
    "READ_TRIES",
    "TRUNK_BY_ID",
    "TRUNK_OF_ACCOUNT",
    "TRUNK_STATE_OF_ACCOUNT",
    "AggregateCache",
    "Children",
    "SeenTrunks",
    "cached_trunk",
    "children_at",
    "children_of",
    "guarded",
    "insert_of",
    "load_trunk",
    "lock_trunk",
    "on_asyncpg",
    "read_rows",
    "sqlite_driver",
    "write_rows",
]

T = TypeVar("T")

#: A trunk's gateways and IP identifiers, in their stored order.
Children = tuple[tuple[Gateway, ...], tuple[IpIdentifier, ...]]


class AggregateCache:
    """Gateways, identifiers, trunks and source matchers of recently read trunks, by trunk id and revision.

    Shared by every unit of work of one storage (and by work offloaded to its worker threads, hence the lock); an
    entry is used only while its revision is the stored one, so writes from other processes are seen as soon as their
    transactions commit. An entry may also hold the trunk itself as read at that revision: its only field that changes
    without a new revision is its sync state, which readers read with the revision and set on it. A trunk's source
    matcher, which only routing needs, is built the first time routing asks for it (not at every create's commit).
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[int, Children, Trunk | None, SourceMatcher | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, trunk_id: str, revision: int) -> Children | None:
        """The cached children of this revision, if any."""
        with self._lock:
            entry = self._entries.get(trunk_id)
            if entry is None or entry[0] != revision:
                return None
            self._entries.move_to_end(trunk_id)
            return entry[1]

    def trunk(self, trunk_id: str, revision: int) -> Trunk | None:
        """The cached trunk of this revision (with its children), if the trunk itself is cached."""
        with self._lock:
            entry = self._entries.get(trunk_id)
            if entry is None or entry[0] != revision or entry[2] is None:
                return None
            self._entries.move_to_end(trunk_id)
            trunk = entry[2]
            if trunk.revision != revision:
                # Cached as written, with the revision it was written at: stored at the next one.
                trunk = attrs.evolve(trunk, revision=revision)
                self._entries[trunk_id] = (revision, entry[1], trunk, entry[3])
            return trunk

    def sources(self, trunk: Trunk) -> SourceMatcher:
        """The source matcher of ``trunk`` (as stored at its revision), built once a revision."""
        with self._lock:
            entry = self._entries.get(trunk.id)
            if entry is not None and entry[0] == trunk.revision and entry[3] is not None:
                return entry[3]
        sources = allowed_sources(trunk)  # outside the lock: it may take a while for a trunk with many CIDRs
        with self._lock:
            entry = self._entries.get(trunk.id)
            if entry is not None and entry[0] == trunk.revision:
                self._entries[trunk.id] = (entry[0], entry[1], entry[2], sources)
        return sources

    def put(self, trunk_id: str, revision: int, children: Children, trunk: Trunk | None = None) -> None:
        """Remember a trunk's children at a revision, and the trunk itself if given.

        ``trunk`` is the trunk as stored at ``revision``, or as a unit of work wrote it (then with the revision it
        was written at, which storage raised to ``revision``).
        """
        with self._lock:
            entry = self._entries.get(trunk_id)
            # A matcher already built for this revision stays: the trunk's gateways and identifiers are the same.
            sources = entry[3] if entry is not None and entry[0] == revision else None
            self._entries[trunk_id] = (revision, children, trunk, sources)
            self._entries.move_to_end(trunk_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)


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


# Of the trunks in the "ids" list; of the one trunk "id".
_CHILDREN = _children_statement(lambda column: column.in_(sa.bindparam("ids", expanding=True)))
_CHILDREN_OF_ONE = _children_statement(lambda column: column == sa.bindparam("id"))


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
    if len(trunk_ids) == 1:
        found_rows = read_rows(conn, _CHILDREN_OF_ONE, {"id": trunk_ids[0]})
    else:
        found_rows = [dict(row) for row in conn.execute(_CHILDREN, {"ids": list(trunk_ids)}).mappings()]
    for row in found_rows:
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


# Statements built once, with bound parameters: building them per call cost more than SQLite running them.
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


@attrs.frozen
class _Prepared:
    """A statement compiled once for SQLite: its SQL, its parameters' order, and its values' processors.

    For a select, ``names`` are its columns and ``processors`` their result processors; for an insert, update or
    delete, ``processors`` are its parameters' bind processors.
    """

    sql: str
    order: tuple[str, ...]
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


# By the statement itself (held here, so its identity is never reused) and the dialect: only prebuilt statements.
_PREPARED: dict[tuple[object, str], _Prepared] = {}


def _prepared(
    conn: Connection, statement: sa.Select[Any] | sa.CompoundSelect[Any] | sa.Insert | sa.Update | sa.Delete
) -> _Prepared:
    key = (statement, conn.dialect.name)
    prepared = _PREPARED.get(key)
    if prepared is not None:
        return prepared
    compiled = statement.compile(dialect=conn.dialect)
    order = tuple(compiled.positiontup or ())
    if isinstance(statement, sa.Select | sa.CompoundSelect):
        columns = list(statement.selected_columns)
        names = tuple(c.name for c in columns)
        processors = tuple(c.type._cached_result_processor(conn.dialect, None) for c in columns)
    else:
        names = ()
        processors = tuple(compiled.binds[name].type._cached_bind_processor(conn.dialect) for name in order)
    prepared = _Prepared(str(compiled), order, names, processors)
    _PREPARED[key] = prepared
    return prepared


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


def sqlite_driver(conn: Connection) -> sqlite3.Connection:
    """The standard library's ``sqlite3`` connection under a SQLite ``Connection``, for statements sent directly."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)  # a live SQLite connection has its driver connection
    return driver


def _wrapped(conn: Connection, sql: str, error: sqlite3.Error) -> BaseException:
    """The driver's error as SQLAlchemy would have raised it (``IntegrityError`` for a refused row, …)."""
    return DBAPIError.instance(sql, None, error, sqlite3.Error, hide_parameters=True, dialect=conn.dialect)


def on_asyncpg(conn: Connection, sql: str, call: Callable[[Any], Awaitable[T]]) -> T:
    """Await ``call(asyncpg_connection)`` from a repository function (run by ``run_sync``, in its greenlet).

    The transaction SQLAlchemy would begin before its own first statement (lazily) is begun first, so the statement
    runs in the session's transaction, or alone in autocommit. An error goes through SQLAlchemy's own handling: it
    is raised as SQLAlchemy raises it, and a connection that died is invalidated.
    """
    adapted = conn.connection.dbapi_connection
    try:
        try:
            if adapted._transaction is None:  # type: ignore[union-attr]
                await_only(adapted._start_transaction())  # type: ignore[union-attr]
            return await_only(call(adapted._connection))  # type: ignore[union-attr]
        except Exception as error:
            adapted._handle_exception(error)  # type: ignore[union-attr]  # raises it in DB-API form
            raise
    except Exception as error:
        conn._handle_dbapi_exception(error, sql, None, None, None)  # raises it as SQLAlchemy's error
        raise


def read_rows(
    conn: Connection, statement: sa.Select[Any] | sa.CompoundSelect[Any], params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The rows a prebuilt select returns, as mappings.

    The statement's SQL, compiled once, runs on the driver's connection (the standard library's ``sqlite3``, or
    asyncpg), and each value goes through its column type's own result processor, so the rows are what SQLAlchemy
    would return, without its per-execution machinery (most of a GET's cost once the SQL itself was cheap).
    """
    prepared = _prepared(conn, statement)
    values = [params[name] for name in prepared.order]
    if conn.dialect.name == "postgresql":
        found: list[Any] = on_asyncpg(conn, prepared.sql, lambda driver: driver.fetch(prepared.sql, *values))
    else:
        try:
            found = sqlite_driver(conn).execute(prepared.sql, values).fetchall()
        except sqlite3.Error as error:
            raise _wrapped(conn, prepared.sql, error) from error
    pairs = list(zip(prepared.names, prepared.processors, strict=True))
    return [{n: p(v) if p else v for (n, p), v in zip(pairs, row, strict=True)} for row in found]


def write_rows(
    conn: Connection,
    statement: sa.Insert | sa.Update | sa.Delete,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> int:
    """Run a prebuilt insert, update or delete with ``params`` (a list: once for each).

    Returns the number of rows it touched; for a list, -1 (not counted). As :func:`read_rows` does: SQL compiled
    once, run on the driver's connection, each value through its column type's own bind processor, so what is stored
    is what SQLAlchemy would store. Errors are raised as SQLAlchemy raises them (a refused row is an
    ``IntegrityError``), so :func:`guarded` works the same.
    """
    prepared = _prepared(conn, statement)
    pairs = list(zip(prepared.order, prepared.processors, strict=True))

    def bound(values: Mapping[str, Any]) -> list[Any]:
        return [p(values[n]) if p else values[n] for n, p in pairs]

    if conn.dialect.name == "postgresql":
        if isinstance(params, Mapping):
            args = bound(params)
            status: str = on_asyncpg(conn, prepared.sql, lambda driver: driver.execute(prepared.sql, *args))
            return int(status.rsplit(" ", 1)[-1])  # "INSERT 0 1", "UPDATE 3", "DELETE 0"
        many = [bound(values) for values in params]
        on_asyncpg(conn, prepared.sql, lambda driver: driver.executemany(prepared.sql, many))
        return -1
    try:
        if isinstance(params, Mapping):
            return int(sqlite_driver(conn).execute(prepared.sql, bound(params)).rowcount)
        sqlite_driver(conn).executemany(prepared.sql, [bound(values) for values in params])
        return -1
    except sqlite3.Error as error:
        raise _wrapped(conn, prepared.sql, error) from error


#: Trunk states (revision and sync state, or ``None`` for no live trunk) a read-only unit of work has already read, by
#: (account, trunk id): the numbers of a trunk are read with its state, so the trunk itself needs no statement of its
#: own when it is cached at that revision.
SeenTrunks = dict[tuple[str, str], tuple[int, str] | None]


def cached_trunk(cache: AggregateCache, trunk_id: str, revision: int, sync_state: str) -> Trunk | None:
    """The trunk cached at ``revision``, with ``sync_state`` as stored (the one field changed without a revision)."""
    trunk = cache.trunk(trunk_id, revision)
    if trunk is None:
        return None
    if trunk.sync_state.value != sync_state:
        trunk = attrs.evolve(trunk, sync_state=SyncState(sync_state))
        cache.put(trunk.id, revision, (trunk.gateways, trunk.ip_identifiers), trunk)
    return trunk


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
