"""Agents and API keys for the reference server.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 13:35:43.063837
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import byot_core.adapters.sql.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "byot_agents",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("telephony_provider", sa.String(length=64), nullable=True),
        sa.Column("audio_format", sa.String(length=32), nullable=True),
        sa.Column("created_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_agents")),
    )
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_byot_agents_account_id"), ["account_id"], unique=False)

    op.create_table(
        "byot_api_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_byot_api_keys")),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("byot_api_keys")
    with op.batch_alter_table("byot_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_byot_agents_account_id"))

    op.drop_table("byot_agents")
