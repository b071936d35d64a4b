"""Outbound call pacing: a trunk's calls per second, and each paced trunk's next free attempt slot.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 18:45:00.000000

The column is nullable (no pace) and the table new, so the previous release keeps working while this one rolls out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import byot_core.adapters.sql.schema

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calls_per_second", sa.Integer(), nullable=True))
    op.create_table(
        "byot_trunk_pacing",
        sa.Column("trunk_id", sa.String(length=40), nullable=False),
        sa.Column("next_free", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trunk_id"],
            ["byot_trunks.id"],
            name=op.f("fk_byot_trunk_pacing_trunk_id_byot_trunks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trunk_id", name=op.f("pk_byot_trunk_pacing")),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("byot_trunk_pacing")
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("calls_per_second")
