"""Status callbacks: where each call's events go, the outbox they wait in, and each account's signing secrets.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 23:30:00.000000

Expand only: nullable columns and a new table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from byot_core.adapters.sql.schema import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_callback_url", sa.String(length=2048), nullable=True))
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_callback_url", sa.String(length=2048), nullable=True))
    with op.batch_alter_table("byot_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("previous_callback_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("callback_secret_rotated_at", UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        "byot_callback_outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("execution_id", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("delivered_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("leased_until", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_callback_outbox")),
        sa.UniqueConstraint("execution_id", "sequence", name=op.f("uq_byot_callback_outbox_execution_id_sequence")),
    )
    op.create_index("ix_byot_callback_outbox_due", "byot_callback_outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_byot_callback_outbox_due", table_name="byot_callback_outbox")
    op.drop_table("byot_callback_outbox")
    with op.batch_alter_table("byot_accounts", schema=None) as batch_op:
        batch_op.drop_column("callback_secret_rotated_at")
        batch_op.drop_column("previous_callback_secret")
        batch_op.drop_column("callback_secret")
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.drop_column("status_callback_url")
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_column("status_callback_url")
