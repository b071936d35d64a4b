"""Carriers that authenticate to the platform: a trunk's inbound username and its sealed password.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 22:00:00.000000

Expand only: nullable columns (a trunk without them asks nothing of its carrier).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inbound_auth_username", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("inbound_auth_password", sa.Text(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("inbound_auth_password")
        batch_op.drop_column("inbound_auth_username")
