"""SQLite's partial unique indexes, with the predicates its queries are written with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 01:15:00.000000

SQLite uses a partial index for a query only when the query's WHERE contains the index's own terms. SQLAlchemy writes
a test of a boolean column on SQLite as ``deleted = 0`` or ``holds_did = 1``, and the indexes said ``NOT deleted``
and ``holds_did``: the lookup of a taken trunk name (a create or rename answered 409) then read every trunk of the
account (1.7 ms at 10,000 trunks) instead of one index entry (4 µs). The indexes are made again with the predicates
as SQLAlchemy writes them; they keep exactly the same rows unique (booleans are stored as 0 and 1). PostgreSQL, whose
queries say ``NOT deleted`` as its indexes do, is left as it is.

Nothing is added or removed for the code of the previous release: it serves on either form.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (index, table, columns, predicate before, predicate now)
_INDEXES = (
    ("ux_byot_trunks_name", "byot_trunks", ["account_id", "name_key"], "NOT deleted", "deleted = 0"),
    ("ux_byot_numbers_did_holder", "byot_phone_numbers", ["canonical_key"], "holds_did", "holds_did = 1"),
    ("ux_byot_numbers_did_on_trunk", "byot_phone_numbers", ["trunk_id", "canonical_key"], "NOT deleted", "deleted = 0"),
)


def _recreate(use_new: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table, columns, before, now in _INDEXES:
        # Dropped and made again in this migration's transaction: no write sees the table without its index.
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=True, sqlite_where=sa.text(now if use_new else before))


def upgrade() -> None:
    """Apply this revision."""
    _recreate(use_new=True)


def downgrade() -> None:
    """Undo this revision."""
    _recreate(use_new=False)
