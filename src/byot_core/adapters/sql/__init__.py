"""SQL storage on SQLAlchemy 2 (async): SQLite through aiosqlite by default, PostgreSQL through asyncpg.

Needs the ``sql`` extra: ``pip install 'byot-core[sql]'``.
"""

from byot_core.adapters.sql.engine import make_engine
from byot_core.adapters.sql.migrate import SchemaOutOfDate, check_schema, head_revision, upgrade
from byot_core.adapters.sql.storage import SqlStorage, SqlUnitOfWork

__all__ = ["SchemaOutOfDate", "SqlStorage", "SqlUnitOfWork", "check_schema", "head_revision", "make_engine", "upgrade"]
