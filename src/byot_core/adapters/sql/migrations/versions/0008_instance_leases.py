"""Instances of the library and their leases, and the instance following each execution.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 20:00:00.000000

Expand only: a new table and a nullable column, so instances of the previous release keep serving while this one
rolls out (their executions have no instance, and are simply never adopted).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import byot_core.adapters.sql.schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "byot_instances",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("expires_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_instances")),
    )
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instance_id", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_byot_executions_instance", ["instance_id", "ended_at"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_index("ix_byot_executions_instance")
        batch_op.drop_column("instance_id")
    op.drop_table("byot_instances")
