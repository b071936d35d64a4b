from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from byot_core.ports.storage import Storage
from byot_core.testing import StorageFactory
from tests.backends import BACKENDS, drop_made_databases, new_storage, open_storages
from tests.support import World, make_world

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The PostgreSQL databases the tests made are dropped: a server kept between runs does not fill up with them."""
    asyncio.run(drop_made_databases())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage backend in turn."""
    return str(request.param)


@pytest.fixture
async def storage_factory(backend: str, tmp_path: Path) -> AsyncIterator[StorageFactory]:
    """Makes fresh, empty storages of the backend; closes them after the test."""
    async with open_storages(backend, tmp_path) as opened:

        async def factory() -> Storage:
            return await new_storage(backend, tmp_path, opened)

        yield factory


@pytest.fixture
async def world(storage_factory: StorageFactory) -> World:
    """A fresh application on each storage backend and a fake telephony."""
    return make_world(storage=await storage_factory())
