"""The storage contract, run against every storage adapter the library ships."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from byot_core.adapters.memory import MemoryStorage
from byot_core.ports.storage import Storage
from byot_core.testing import STORAGE_CONTRACT, StorageFactory


async def memory_storage() -> Storage:
    return MemoryStorage()


FACTORIES: dict[str, StorageFactory] = {"memory": memory_storage}


@pytest.mark.parametrize("factory", FACTORIES.values(), ids=FACTORIES.keys())
@pytest.mark.parametrize("check", STORAGE_CONTRACT, ids=lambda check: check.__name__)
async def test_storage_contract(factory: StorageFactory, check: Callable[[StorageFactory], Awaitable[None]]) -> None:
    """Each adapter passes each check of the shared contract."""
    await check(factory)
