"""Call media: what each execution's media carried, and an agent's own media URL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 17:40:00.000000

Both columns are added nullable, so instances of the previous release keep working while this one rolls out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media", sa.JSON(), nullable=True))
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_url", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.drop_column("media_url")
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_column("media")
