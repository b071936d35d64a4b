"""A toll-fraud guard: each account's and each trunk's outbound destination policy, and the account's refusals.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:00:00.000000

Expand only: a new table, and trunk columns whose defaults (no countries, NULL flags) mean "the account's policy".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbound_countries", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("outbound_premium_rate", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("outbound_shared_cost", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("outbound_satellite", sa.Boolean(), nullable=True))
    op.create_table(
        "byot_accounts",
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("outbound_countries", sa.Text(), nullable=False),
        sa.Column("outbound_premium_rate", sa.Boolean(), nullable=False),
        sa.Column("outbound_shared_cost", sa.Boolean(), nullable=False),
        sa.Column("outbound_satellite", sa.Boolean(), nullable=False),
        sa.Column("refused_calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_byot_accounts")),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("byot_accounts")
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_column("outbound_satellite")
        batch_op.drop_column("outbound_shared_cost")
        batch_op.drop_column("outbound_premium_rate")
        batch_op.drop_column("outbound_countries")
