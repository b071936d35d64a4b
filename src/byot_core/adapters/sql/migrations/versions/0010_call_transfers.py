"""Each execution's transfers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 19:00:00.000000

Expand only: a nullable column (a row without it has no transfers), so instances of the previous release keep serving
while this one rolls out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transfers", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_column("transfers")
