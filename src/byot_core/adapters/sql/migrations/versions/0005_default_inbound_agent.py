"""A trunk's default inbound agent, for its numbers without an agent of their own.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:20:00.000000

Nullable, so the previous release keeps working while this one rolls out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_inbound_agent_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("default_inbound_agent_id")
