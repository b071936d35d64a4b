"""Alembic environment: migrations run on a connection handed in by :mod:`byot_core.adapters.sql.migrate`."""

from __future__ import annotations

from alembic import context

from byot_core.adapters.sql.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through byot_core.adapters.sql.migrate (or `byot db upgrade`)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
