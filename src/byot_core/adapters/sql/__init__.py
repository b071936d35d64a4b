"""SQL storage on SQLAlchemy 2: SQLite (the standard library's driver, on the event loop) or PostgreSQL (asyncpg).

Needs the ``sql`` extra: ``pip install 'byot-core[sql]'``.
"""

from byot_core.adapters.sql.database import Database
from byot_core.adapters.sql.migrate import SchemaOutOfDate, check_schema, head_revision, upgrade
from byot_core.adapters.sql.storage import SqlStorage, SqlUnitOfWork

__all__ = ["Database", "SchemaOutOfDate", "SqlStorage", "SqlUnitOfWork", "check_schema", "head_revision", "upgrade"]
