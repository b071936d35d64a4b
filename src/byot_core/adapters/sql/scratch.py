"""A scratch PostgreSQL database for benchmarks and an embedder's tests: made on a server, dropped on the way out."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from byot_core.adapters.sql.engine import normalise_url

__all__ = ["scratch_postgres"]


@contextlib.asynccontextmanager
async def scratch_postgres(server_url: str, prefix: str = "byot_scratch") -> AsyncIterator[str]:
    """The URL of a new, empty database on the server ``server_url`` names; the database is dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    # CREATE and DROP DATABASE cannot run inside a transaction.
    admin = create_async_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f"CREATE DATABASE {name}"))
        try:
            yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    finally:
        await admin.dispose()
