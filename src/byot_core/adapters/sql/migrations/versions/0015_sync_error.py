"""Why a trunk's last push to telephony failed, kept beside its sync state.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 23:10:00.000000

Expand only: a nullable column (no reason known for failures recorded before it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_error", sa.Text(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("sync_error")
