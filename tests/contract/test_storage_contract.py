"""The storage contract, run against every storage adapter the library ships."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from byot_core.testing import STORAGE_CONTRACT, StorageFactory


@pytest.mark.parametrize("check", STORAGE_CONTRACT, ids=lambda check: check.__name__)
async def test_storage_contract(
    storage_factory: StorageFactory, check: Callable[[StorageFactory], Awaitable[None]]
) -> None:
    """Each adapter (memory, SQLite, PostgreSQL) passes each check of the shared contract."""
    await check(storage_factory)
