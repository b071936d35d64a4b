"""Reads outside a snapshot (PostgreSQL, each statement on its own) never pair a trunk with another version's children.

Their connections, kept between sessions, are dropped when the server drops them.

A trunk's row and its gateways are two statements when the children are not cached. Here an update commits exactly
between them: the read must notice (the children statement also gives the trunk's revision) and read again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.util import await_only

import byot_core
from byot_core.adapters.sql import SqlStorage, common
from byot_core.adapters.sql.common import children_at
from byot_core.adapters.sql.engine import normalise_url
from byot_core.domain.trunk import Trunk
from byot_core.guide_api import GuideApi
from tests.backends import database_url
from tests.support import ACCOUNT, IP_TRUNK, USERPASS_TRUNK, body

NUMBER = "+919876543210"
FIRST_GATEWAY = IP_TRUNK["gateways"][0]["gateway_address"]


async def _read_during_a_change(tmp_path: Path, read: Callable[[byot_core.Byot, str], Awaitable[Trunk]]) -> list[Trunk]:
    """The trunk as ``read`` saw it during an update, then once more after it.

    ``read`` runs on a second storage (its cache cold), and the update commits between the trunk's row and its
    children.
    """
    url = await database_url("postgres", tmp_path)
    writer, reader = await SqlStorage.open(url), await SqlStorage.open(url)
    try:
        app, other = byot_core.build(storage=writer), byot_core.build(storage=reader)
        trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, body(IP_TRUNK, description="first"))).trunk.id
        await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": NUMBER})
        changed = False

        def children_after_a_change(conn: Any, trunk_ids: Any) -> Any:
            nonlocal changed
            if not changed:
                changed = True
                change = {"description": "second", "gateways": [{"gateway_address": "203.0.113.7"}]}
                await_only(GuideApi(app).trunks.update(ACCOUNT, trunk_id, change))
            return children_at(conn, trunk_ids)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(common, "children_at", children_after_a_change)  # read by every trunk load
            seen = await read(other, trunk_id)
        assert changed, "the update did not run between the statements"
        return [seen, await read(other, trunk_id)]
    finally:
        await writer.close()
        await reader.close()


def _one_version(trunk: Trunk) -> bool:
    addresses = [g.address for g in trunk.gateways]
    return (trunk.description, addresses) in (("first", [FIRST_GATEWAY]), ("second", ["203.0.113.7"]))


async def test_a_get_never_pairs_a_row_with_another_versions_gateways(tmp_path: Path) -> None:
    """GET reads without a snapshot: the trunk it answers, and the next (cached), are each one version."""

    async def read(app: byot_core.Byot, trunk_id: str) -> Trunk:
        return (await app.trunks.get(ACCOUNT, trunk_id)).trunk

    for trunk in await _read_during_a_change(tmp_path, read):
        assert _one_version(trunk), (trunk.description, trunk.gateways)


async def test_routing_never_pairs_a_row_with_another_versions_gateways(tmp_path: Path) -> None:
    """Routing reads without a snapshot too: the candidate's trunk is one version."""

    async def read(app: byot_core.Byot, _: str) -> Trunk:
        decision = await app.inbound.explain(NUMBER, "15.207.90.192")
        assert decision.candidate is not None
        return decision.candidate.trunk

    for trunk in await _read_during_a_change(tmp_path, read):
        assert _one_version(trunk), (trunk.description, trunk.gateways)


async def test_connections_kept_between_sessions_are_dropped_when_the_server_drops_them(tmp_path: Path) -> None:
    """The server ends every connection (a restart): nothing fails; the first read or write runs again on a new one."""
    url = await database_url("postgres", tmp_path)
    storage = await SqlStorage.open(url)

    async def server_ends_every_connection() -> None:
        admin = create_async_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                ended = await conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                assert len(ended.all()) >= 2
        finally:
            await admin.dispose()

    try:
        app = byot_core.build(storage=storage)
        trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, body(IP_TRUNK))).trunk.id
        await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": NUMBER})
        # Several sessions at once, so that several connections are kept.
        await asyncio.gather(*(app.trunks.get(ACCOUNT, trunk_id) for _ in range(5)))
        await server_ends_every_connection()
        for _ in range(10):
            assert (await app.trunks.get(ACCOUNT, trunk_id)).trunk.id == trunk_id
        await asyncio.gather(*(app.inbound.explain(NUMBER, "15.207.90.192") for _ in range(5)))
        await server_ends_every_connection()
        for _ in range(10):  # routing's select, sent on the driver's connection
            assert (await app.inbound.explain(NUMBER, "15.207.90.192")).trunk_id == trunk_id
        await asyncio.gather(*(app.trunks.get(ACCOUNT, trunk_id) for _ in range(5)))
        await server_ends_every_connection()
        for _ in range(3):  # the same select first in a writing unit of work (an inbound call's)
            async with storage.unit_of_work() as uow:
                (candidate,) = await uow.numbers.routing_candidates(NUMBER[1:])
                assert candidate.trunk.id == trunk_id
        await asyncio.gather(*(app.trunks.get(ACCOUNT, trunk_id) for _ in range(5)))
        await server_ends_every_connection()
        created = await GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name="after the restart"))
        names = [summary.trunk.name for summary in await app.trunks.list(ACCOUNT)]
        assert names.count("after the restart") == 1
        assert (await app.trunks.get(ACCOUNT, created.trunk.id)).trunk.name == "after the restart"
    finally:
        await storage.close()
