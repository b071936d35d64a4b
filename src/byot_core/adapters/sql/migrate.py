"""Schema migrations: upgrade a database to the code's schema, and refuse to use one that is behind.

The Alembic scripts ship inside the package; no ``alembic.ini`` is needed. ``byot db upgrade`` calls :func:`upgrade`.

Rolling upgrades: migrations only add (tables, nullable columns, indexes) so that the release before keeps serving
beside the new one; removing what an older release still reads waits for a later release. So an instance accepts a
database at a revision newer than its own (one its package does not know), saying so in its log, and refuses only one
that is behind. Upgrades running at once take turns (an advisory lock on PostgreSQL, the write lock on SQLite): the
second finds the schema already at its head and does nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from byot_core.adapters.sql.database import Database
from byot_core.domain.errors import ByotError, ErrorKind

__all__ = ["SchemaOutOfDate", "check_schema", "head_revision", "upgrade"]

_SCRIPTS = Path(__file__).with_name("migrations")

log = logging.getLogger(__name__)


class SchemaOutOfDate(ByotError):
    """The database's schema is not the one this version of the library needs."""

    kind = ErrorKind.UNAVAILABLE
    code = "schema_out_of_date"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The schema revision this code needs."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships at least one revision
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


#: The advisory lock key upgrades take on PostgreSQL (any constant both upgraders agree on).
_UPGRADE_LOCK = 0x62796F74  # "byot"


def _upgrade(connection: Connection) -> tuple[str | None, str]:
    if connection.dialect.name == "postgresql":
        # Held to the transaction's end: a second upgrade reads the revision only once the first is committed.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
    before = _current(connection)
    command.upgrade(_config(connection), "head")
    after = _current(connection)
    assert after is not None
    return before, after


async def upgrade(database: Database) -> tuple[str | None, str]:
    """Upgrade the database to the code's schema (one transaction); return the revisions before and after."""
    return await database.run(_upgrade)


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


async def check_schema(database: Database) -> None:
    """Raise :class:`SchemaOutOfDate`, saying how to upgrade, when the database is behind the code's revision.

    A revision this package does not know is a newer release's (migrations only add during a rolling upgrade): it is
    accepted, with a warning.
    """
    current = await database.run(_current)
    head = head_revision()
    if current is not None and current != head and not _known(current):
        log.warning(
            "the database is at schema revision %s, newer than this version's %s: serving on it (migrations only add)",
            current,
            head,
        )
        return
    if current != head:
        state = "has no byot schema yet" if current is None else f"is at schema revision {current}"
        raise SchemaOutOfDate(
            f"The database {state}; this version of byot-core needs revision {head}. "
            "Run `byot db upgrade` (or `await SqlStorage.open(url, upgrade_schema=True)`) first."
        )
