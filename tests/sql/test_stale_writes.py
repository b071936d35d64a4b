"""On PostgreSQL, a write from a unit of work that read before another removed its row is refused, never applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest

import byot_core
from byot_core.adapters.fernet_secrets import FernetSecretBox, new_key
from byot_core.adapters.sql import SqlStorage
from byot_core.domain.errors import PhoneNumberRemoved, TrunkNotFound
from byot_core.guide_api import GuideApi
from tests.backends import database_url
from tests.support import ACCOUNT, USERPASS_TRUNK


@pytest.fixture
async def postgres_app(tmp_path: Path) -> AsyncIterator[tuple[byot_core.Byot, SqlStorage]]:
    """An application on a fresh PostgreSQL database.

    Interleaved units of work are a PostgreSQL matter: on SQLite a unit of work holds the write lock from its first
    statement, so a second writer waits for it to end and the interleavings below cannot happen.
    """
    storage = await SqlStorage.open(await database_url("postgres", tmp_path))
    try:
        yield byot_core.build(storage=storage, secrets=FernetSecretBox([new_key()])), storage
    finally:
        await storage.close()


async def test_a_concurrently_removed_number_is_never_resurrected(
    postgres_app: tuple[byot_core.Byot, SqlStorage],
) -> None:
    """A mapping written after another instance removed the number is refused, not applied to a live copy."""
    app, storage = postgres_app
    trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    number = await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": "919876543210"})
    async with storage.unit_of_work() as slow:
        stale = await slow.numbers.get(ACCOUNT, number.id)
        assert stale is not None
        await app.numbers.remove(ACCOUNT, trunk_id, number.id)
        with pytest.raises(PhoneNumberRemoved):
            await slow.numbers.update(attrs.evolve(stale, agent_id="agent-late"))
    assert list(await app.numbers.list(ACCOUNT, trunk_id)) == []


async def test_a_concurrently_deleted_trunk_is_never_resurrected(
    postgres_app: tuple[byot_core.Byot, SqlStorage],
) -> None:
    """An update written after another instance deleted the trunk is refused as not found."""
    app, storage = postgres_app
    trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    async with storage.unit_of_work() as slow:
        stale = await slow.trunks.get(ACCOUNT, trunk_id)
        assert stale is not None
        await app.trunks.delete(ACCOUNT, trunk_id)
        with pytest.raises(TrunkNotFound):
            await slow.trunks.update(attrs.evolve(stale, description="late"))
    assert list(await app.trunks.list(ACCOUNT)) == []
