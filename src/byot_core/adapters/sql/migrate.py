"""Schema migrations: upgrade a database to the code's schema, and refuse to use one that is behind.

The Alembic scripts ship inside the package; no ``alembic.ini`` is needed. ``byot db upgrade`` calls
:func:`upgrade`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

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


async def upgrade(engine: AsyncEngine) -> tuple[str | None, str]:
    """Upgrade the database to the code's schema; return the revisions before and after."""
    async with engine.begin() as connection:
        before = await connection.run_sync(_current)
        await connection.run_sync(lambda sync: command.upgrade(_config(sync), "head"))
        after = await connection.run_sync(_current)
    assert after is not None
    return before, after


async def check_schema(engine: AsyncEngine) -> None:
    """Raise :class:`SchemaOutOfDate`, saying how to upgrade, unless the database is at the code's revision."""
    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    head = head_revision()
    if current != head:
        state = "has no byot schema yet" if current is None else f"is at schema revision {current}"
        raise SchemaOutOfDate(
            f"The database {state}; this version of byot-core needs revision {head}. "
            "Run `byot db upgrade` (or `await byot_core.adapters.sql.upgrade(engine)`) first."
        )
