"""The initial schema: trunks, gateways, identifiers, numbers, executions.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 12:47:01.819867
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import byot_core.adapters.sql.schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "byot_executions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("recipient_name", sa.String(length=255), nullable=True),
        sa.Column("trunk_id", sa.String(length=40), nullable=True),
        sa.Column("phone_number_id", sa.String(length=40), nullable=True),
        sa.Column("gateway_plan", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("hangup_reason", sa.JSON(), nullable=True),
        sa.Column("created_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_executions")),
    )
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.create_index("ix_byot_executions_agent", ["account_id", "agent_id", "created_at"], unique=False)

    op.create_table(
        "byot_trunks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("auth_type", sa.String(length=16), nullable=False),
        sa.Column("auth_username", sa.String(length=255), nullable=True),
        sa.Column("auth_password", sa.Text(), nullable=True),
        sa.Column("allow", sa.String(length=255), nullable=False),
        sa.Column("disallow", sa.String(length=255), nullable=False),
        sa.Column("transport", sa.String(length=64), nullable=False),
        sa.Column("direct_media", sa.Boolean(), nullable=False),
        sa.Column("rtp_symmetric", sa.Boolean(), nullable=False),
        sa.Column("force_rport", sa.Boolean(), nullable=False),
        sa.Column("ice_support", sa.Boolean(), nullable=False),
        sa.Column("qualify_frequency", sa.Integer(), nullable=False),
        sa.Column("inbound_enabled", sa.Boolean(), nullable=False),
        sa.Column("outbound_leading_plus_enabled", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("sync_state", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_trunks")),
    )
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.create_index("ix_byot_trunks_account", ["account_id", "created_at"], unique=False)
        batch_op.create_index(
            "ux_byot_trunks_name",
            ["account_id", "name_key"],
            unique=True,
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )

    op.create_table(
        "byot_execution_channels",
        sa.Column("channel_id", sa.String(length=128), nullable=False),
        sa.Column("execution_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["byot_executions.id"],
            name=op.f("fk_byot_execution_channels_execution_id_byot_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_byot_execution_channels")),
    )
    with op.batch_alter_table("byot_execution_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_byot_execution_channels_execution_id"), ["execution_id"], unique=False)

    op.create_table(
        "byot_gateways",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("trunk_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("created_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["trunk_id"], ["byot_trunks.id"], name=op.f("fk_byot_gateways_trunk_id_byot_trunks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_gateways")),
    )
    with op.batch_alter_table("byot_gateways", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_byot_gateways_trunk_id"), ["trunk_id"], unique=False)

    op.create_table(
        "byot_ip_identifiers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("trunk_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("created_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["trunk_id"],
            ["byot_trunks.id"],
            name=op.f("fk_byot_ip_identifiers_trunk_id_byot_trunks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_ip_identifiers")),
    )
    with op.batch_alter_table("byot_ip_identifiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_byot_ip_identifiers_trunk_id"), ["trunk_id"], unique=False)

    op.create_table(
        "byot_phone_numbers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("trunk_id", sa.String(length=40), nullable=False),
        sa.Column("phone_number", sa.String(length=32), nullable=False),
        sa.Column("canonical_key", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("e164_check_enabled", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("holds_did", sa.Boolean(), nullable=False),
        sa.Column("created_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", byot_core.adapters.sql.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trunk_id"], ["byot_trunks.id"], name=op.f("fk_byot_phone_numbers_trunk_id_byot_trunks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_byot_phone_numbers")),
    )
    with op.batch_alter_table("byot_phone_numbers", schema=None) as batch_op:
        batch_op.create_index("ix_byot_numbers_key", ["canonical_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_byot_phone_numbers_trunk_id"), ["trunk_id"], unique=False)
        batch_op.create_index(
            "ux_byot_numbers_did_holder",
            ["canonical_key"],
            unique=True,
            sqlite_where=sa.text("holds_did"),
            postgresql_where=sa.text("holds_did"),
        )
        batch_op.create_index(
            "ux_byot_numbers_did_on_trunk",
            ["trunk_id", "canonical_key"],
            unique=True,
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("byot_phone_numbers", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_byot_numbers_did_on_trunk", sqlite_where=sa.text("NOT deleted"), postgresql_where=sa.text("NOT deleted")
        )
        batch_op.drop_index(
            "ux_byot_numbers_did_holder", sqlite_where=sa.text("holds_did"), postgresql_where=sa.text("holds_did")
        )
        batch_op.drop_index(batch_op.f("ix_byot_phone_numbers_trunk_id"))
        batch_op.drop_index("ix_byot_numbers_key")

    op.drop_table("byot_phone_numbers")
    with op.batch_alter_table("byot_ip_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_byot_ip_identifiers_trunk_id"))

    op.drop_table("byot_ip_identifiers")
    with op.batch_alter_table("byot_gateways", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_byot_gateways_trunk_id"))

    op.drop_table("byot_gateways")
    with op.batch_alter_table("byot_execution_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_byot_execution_channels_execution_id"))

    op.drop_table("byot_execution_channels")
    with op.batch_alter_table("byot_trunks", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_byot_trunks_name", sqlite_where=sa.text("NOT deleted"), postgresql_where=sa.text("NOT deleted")
        )
        batch_op.drop_index("ix_byot_trunks_account")

    op.drop_table("byot_trunks")
    with op.batch_alter_table("byot_executions", schema=None) as batch_op:
        batch_op.drop_index("ix_byot_executions_agent")

    op.drop_table("byot_executions")
