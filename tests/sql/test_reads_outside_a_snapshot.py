"""Reads outside a snapshot (PostgreSQL, each statement on its own) never pair a trunk with another version's children.

A trunk's row and its gateways are two statements when the children are not cached. Here an update commits exactly
between them: the read must notice (the children statement also gives the trunk's revision) and read again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.util import await_only

import byot_core
from byot_core.adapters.sql import SqlStorage
from byot_core.domain.trunk import Trunk
from tests.backends import database_url
from tests.support import ACCOUNT, IP_TRUNK, body

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
        trunk_id = (await app.trunks.create(ACCOUNT, body(IP_TRUNK, description="first"))).trunk.id
        await app.numbers.add(ACCOUNT, trunk_id, {"phone_number": NUMBER})
        changed = False

        def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            nonlocal changed
            if "'t' AS kind" in statement and not changed:
                changed = True
                change = {"description": "second", "gateways": [{"gateway_address": "203.0.113.7"}]}
                await_only(app.trunks.update(ACCOUNT, trunk_id, change))

        event.listen(reader.events_target, "before_cursor_execute", before)
        try:
            seen = await read(other, trunk_id)
        finally:
            event.remove(reader.events_target, "before_cursor_execute", before)
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
