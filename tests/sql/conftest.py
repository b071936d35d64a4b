"""The application on a fresh SQL database of each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import byot_core
from byot_core.adapters.fernet_secrets import FernetSecretBox, new_key
from byot_core.adapters.sql import SqlStorage
from tests.backends import SQL_BACKENDS, database_url


@pytest.fixture(params=SQL_BACKENDS)
async def sql(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[byot_core.Byot, SqlStorage]]:
    """An application on a fresh SQL database, with Fernet secrets."""
    storage = await SqlStorage.open(await database_url(str(request.param), tmp_path))
    try:
        yield byot_core.build(storage=storage, secrets=FernetSecretBox([new_key()])), storage
    finally:
        await storage.close()
