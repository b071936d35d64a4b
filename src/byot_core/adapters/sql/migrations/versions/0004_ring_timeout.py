"""Ring timeout: a trunk's default, and a call's own.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:10:00.000000

The trunk's column has a server default (60, what every attempt rang before), so rows written by the previous
release stay valid while this one rolls out; the call's is nullable (absent means the trunk's).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ring_timeout_seconds", sa.Integer(), server_default="60", nullable=False))
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ring_timeout_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_column("ring_timeout_seconds")
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("ring_timeout_seconds")
