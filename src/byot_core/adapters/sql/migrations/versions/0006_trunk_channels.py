"""A trunk's channel limit, and the index that counts its calls in progress.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 18:30:00.000000

The column is nullable (no limit), so the previous release keeps working while this one rolls out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels", sa.Integer(), nullable=True))
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.create_index("ix_byot_executions_live", ["trunk_id", "ended_at"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_index("ix_byot_executions_live")
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("channels")
