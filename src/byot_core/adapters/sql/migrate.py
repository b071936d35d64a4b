"""Schema migrations: upgrade a database to the code's schema, and refuse to use one that is behind.

The Alembic scripts ship inside the package; no ``alembic.ini`` is needed. ``byot db upgrade`` calls :func:`upgrade`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from byot_core.adapters.sql.database import Database
from byot_core.domain.errors import ByotError, ErrorKind

__all__ = ["SchemaOutOfDate", "check_schema", "head_revision", "upgrade"]

_SCRIPTS = Path(__file__).with_name("migrations")


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


def _upgrade(connection: Connection) -> tuple[str | None, str]:
    before = _current(connection)
    command.upgrade(_config(connection), "head")
    after = _current(connection)
    assert after is not None
    return before, after


async def upgrade(database: Database) -> tuple[str | None, str]:
    """Upgrade the database to the code's schema (one transaction); return the revisions before and after."""
    return await database.run(_upgrade)


async def check_schema(database: Database) -> None:
    """Raise :class:`SchemaOutOfDate`, saying how to upgrade, unless the database is at the code's revision."""
    current = await database.run(_current)
    head = head_revision()
    if current != head:
        state = "has no byot schema yet" if current is None else f"is at schema revision {current}"
        raise SchemaOutOfDate(
            f"The database {state}; this version of byot-core needs revision {head}. "
            "Run `byot db upgrade` (or `await SqlStorage.open(url, upgrade_schema=True)`) first."
        )
