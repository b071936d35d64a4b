"""A trunk's media encryption: none (the guide's plain RTP), SRTP with SDES keys, or DTLS-SRTP; required or optimistic.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:00:00.000000

Expand only: columns with defaults (a trunk written before has none), so instances of the previous release keep
serving while this one rolls out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_encryption", sa.String(length=8), server_default="none", nullable=False))
        batch_op.add_column(
            sa.Column("media_encryption_optimistic", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("media_encryption_optimistic")
        batch_op.drop_column("media_encryption")
