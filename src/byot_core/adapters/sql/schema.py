"""The SQL schema (SQLAlchemy Core), shared by the migrations and the storage adapter.

The invariants live in the database:

- ``ux_byot_trunks_name``: a trunk name (compared as ``name_key``) once per account among undeleted trunks;
- ``ux_byot_numbers_did_holder``: a canonical DID once among numbers with ``holds_did``, which the adapter keeps equal
  to "live number on an active, undeleted trunk" in the same transaction as every change to either (a partial index
  cannot join the trunk, so the flag carries the trunk's state onto the number);
- ``ux_byot_numbers_did_on_trunk``: a canonical DID once per trunk among live numbers;
- gateways and identifiers belong to their trunk (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "agents",
    "api_keys",
    "execution_channels",
    "executions",
    "gateways",
    "ip_identifiers",
    "metadata",
    "phone_numbers",
    "trunks",
]


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive; they come back in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC; refuse naive datetimes, whose zone is unknown."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as timezone-aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = sa.String(40)
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

trunks = sa.Table(
    "byot_trunks",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_key", sa.String(255), nullable=False),
    sa.Column("provider", sa.String(255), nullable=False),
    sa.Column("description", sa.String(255)),
    sa.Column("default_inbound_agent_id", sa.String(128)),
    sa.Column("channels", sa.Integer),
    sa.Column("calls_per_second", sa.Integer),
    sa.Column("auth_type", sa.String(16), nullable=False),
    sa.Column("auth_username", sa.String(255)),
    sa.Column("auth_password", sa.Text),
    sa.Column("inbound_auth_username", sa.String(64)),
    sa.Column("inbound_auth_password", sa.Text),
    sa.Column("allow", sa.String(255), nullable=False),
    sa.Column("disallow", sa.String(255), nullable=False),
    sa.Column("transport", sa.String(64), nullable=False),
    sa.Column("direct_media", sa.Boolean, nullable=False),
    sa.Column("rtp_symmetric", sa.Boolean, nullable=False),
    sa.Column("force_rport", sa.Boolean, nullable=False),
    sa.Column("ice_support", sa.Boolean, nullable=False),
    sa.Column("qualify_frequency", sa.Integer, nullable=False),
    sa.Column("ring_timeout_seconds", sa.Integer, nullable=False, server_default="60"),
    sa.Column("inbound_enabled", sa.Boolean, nullable=False),
    sa.Column("media_encryption", sa.String(8), nullable=False, server_default="none"),
    sa.Column("media_encryption_optimistic", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("outbound_leading_plus_enabled", sa.Boolean, nullable=False),
    # The trunk's destination policy: countries comma-separated (empty: the account's), NULL flags: the account's.
    sa.Column("outbound_countries", sa.Text, nullable=False, server_default=""),
    sa.Column("outbound_premium_rate", sa.Boolean),
    sa.Column("outbound_shared_cost", sa.Boolean),
    sa.Column("outbound_satellite", sa.Boolean),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("sync_state", sa.String(16), nullable=False),
    # Why the last recorded push failed; not part of the trunk aggregate (read only for the trunk's JSON).
    sa.Column("sync_error", sa.Text),
    # Bumped on every write of the aggregate, so caches of gateways and identifiers know when they are stale.
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_byot_trunks_account", "account_id", "created_at"),
    sa.Index(
        "ux_byot_trunks_name",
        "account_id",
        "name_key",
        unique=True,
        # Each database's predicate as SQLAlchemy writes the test in queries: SQLite uses a partial index only for
        # a query whose WHERE contains the index's own terms (migration 0009).
        sqlite_where=sa.text("deleted = 0"),
        postgresql_where=sa.text("NOT deleted"),
    ),
)

gateways = sa.Table(
    "byot_gateways",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("trunk_id", ID, sa.ForeignKey("byot_trunks.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("address", sa.String(255), nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("weight", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime),
)

ip_identifiers = sa.Table(
    "byot_ip_identifiers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("trunk_id", ID, sa.ForeignKey("byot_trunks.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("ip_address", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime),
)

phone_numbers = sa.Table(
    "byot_phone_numbers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("trunk_id", ID, sa.ForeignKey("byot_trunks.id"), nullable=False, index=True),
    sa.Column("phone_number", sa.String(32), nullable=False),
    sa.Column("canonical_key", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("e164_check_enabled", sa.Boolean, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("agent_id", sa.String(128)),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("holds_did", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_byot_numbers_key", "canonical_key"),
    sa.Index(
        "ux_byot_numbers_did_holder",
        "canonical_key",
        unique=True,
        sqlite_where=sa.text("holds_did = 1"),
        postgresql_where=sa.text("holds_did"),
    ),
    sa.Index(
        "ux_byot_numbers_did_on_trunk",
        "trunk_id",
        "canonical_key",
        unique=True,
        sqlite_where=sa.text("deleted = 0"),
        postgresql_where=sa.text("NOT deleted"),
    ),
)

executions = sa.Table(
    "byot_executions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("agent_id", sa.String(128), nullable=False),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("from_number", sa.String(32), nullable=False),
    sa.Column("to_number", sa.String(32), nullable=False),
    sa.Column("recipient_name", sa.String(255)),
    sa.Column("trunk_id", ID),
    sa.Column("phone_number_id", ID),
    sa.Column("gateway_plan", sa.JSON, nullable=False),
    sa.Column("attempts", sa.JSON, nullable=False),
    sa.Column("hangup_reason", sa.JSON),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("answered_at", UtcDateTime),
    sa.Column("ended_at", UtcDateTime),
    sa.Column("media", sa.JSON),
    sa.Column("ring_timeout_seconds", sa.Integer),
    sa.Column("instance_id", ID),
    # A list of the call's transfers (NULL in rows written before transfers existed: none).
    sa.Column("transfers", sa.JSON),
    # Whether the call is recorded, and its recording (NULL in rows written before recordings existed: neither).
    sa.Column("record", sa.Boolean),
    sa.Column("recording", sa.JSON),
    # Where the call's status events go (NULL: nowhere).
    sa.Column("status_callback_url", sa.String(2048)),
    sa.Index("ix_byot_executions_agent", "account_id", "agent_id", "created_at"),
    sa.Index("ix_byot_executions_instance", "instance_id", "ended_at"),
    sa.Index("ix_byot_executions_live", "trunk_id", "ended_at"),
)

# A paced trunk's next free outbound attempt slot (one row per trunk that has been paced).
trunk_pacing = sa.Table(
    "byot_trunk_pacing",
    metadata,
    sa.Column("trunk_id", ID, sa.ForeignKey("byot_trunks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("next_free", UtcDateTime, nullable=False),
)

#: The library's instances and their leases: a row is held while its process lives and renews it.
instances = sa.Table(
    "byot_instances",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

#: What the library keeps per account (a row once the account sets a policy or has a call refused).
accounts = sa.Table(
    "byot_accounts",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("outbound_countries", sa.Text, nullable=False),
    sa.Column("outbound_premium_rate", sa.Boolean, nullable=False),
    sa.Column("outbound_shared_cost", sa.Boolean, nullable=False),
    sa.Column("outbound_satellite", sa.Boolean, nullable=False),
    sa.Column("refused_calls", sa.Integer, nullable=False),
    # The sealed secret status callbacks are signed with (made on first read).
    sa.Column("callback_secret", sa.Text),
    # The secret it replaced, used beside it for a day after a rotation.
    sa.Column("previous_callback_secret", sa.Text),
    sa.Column("callback_secret_rotated_at", UtcDateTime),
)

#: Status callbacks waiting to be delivered, delivered, or given up on: written with the change they report.
callback_outbox = sa.Table(
    "byot_callback_outbox",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("execution_id", ID, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("last_error", sa.String(300)),
    sa.Column("delivered_at", UtcDateTime),
    # An instance delivering the event holds it until then; another takes it over once that has passed.
    sa.Column("leased_until", UtcDateTime),
    sa.UniqueConstraint("execution_id", "sequence"),
    sa.Index("ix_byot_callback_outbox_due", "state", "next_attempt_at"),
)

execution_channels = sa.Table(
    "byot_execution_channels",
    metadata,
    sa.Column("channel_id", sa.String(128), primary_key=True),
    sa.Column("execution_id", ID, sa.ForeignKey("byot_executions.id", ondelete="CASCADE"), nullable=False, index=True),
)

# The reference server's own tables: it plays the platform's part (agents, API keys).
agents = sa.Table(
    "byot_agents",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False, index=True),
    sa.Column("name", sa.String(255)),
    sa.Column("telephony_provider", sa.String(64)),
    sa.Column("audio_format", sa.String(32)),
    sa.Column("created_at", UtcDateTime),
    sa.Column("media_url", sa.String(2048)),
    sa.Column("record_calls", sa.Boolean),
    sa.Column("status_callback_url", sa.String(2048)),
)

api_keys = sa.Table(
    "byot_api_keys",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
