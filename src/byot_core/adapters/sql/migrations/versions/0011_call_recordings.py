"""Recorded calls: whether each call is recorded and its recording; agents that record their inbound calls.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 20:00:00.000000

Expand only: nullable columns (a row without them is a call not recorded, an agent that does not record), so
instances of the previous release keep serving while this one rolls out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("recording", sa.JSON(), nullable=True))
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_calls", sa.Boolean(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.drop_column("record_calls")
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_column("recording")
        batch_op.drop_column("record")
