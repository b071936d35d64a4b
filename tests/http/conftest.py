from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs
import httpx
import pytest

from byot_core.adapters.http import ApiKeys, create_app, hash_key
from tests.support import ACCOUNT, AGENT, OTHER_ACCOUNT, World

KEY = "bn-test-key-0123456789"
OTHER_KEY = "bn-other-key-9876543210"


@attrs.define
class Api:
    """An HTTP client on the reference app, with the world behind it."""

    client: httpx.AsyncClient
    world: World

    async def call(self, method: str, path: str, json: Any = None, key: str | None = KEY, **kw: Any) -> httpx.Response:
        headers = ({"Authorization": f"Bearer {key}"} if key else {}) | kw.pop("headers", {})
        return await self.client.request(method, path, json=json, headers=headers, **kw)

    async def settle(self) -> None:
        await self.world.settle()


@pytest.fixture
async def api(world: World) -> AsyncIterator[Api]:
    """The reference app on the world's application, with two accounts' keys."""
    keys = ApiKeys({hash_key(KEY): ACCOUNT, hash_key(OTHER_KEY): OTHER_ACCOUNT})
    app = create_app(world.app, keys=keys, agents=world.agents)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://byot.test") as client:
        yield Api(client, world)


__all__ = ["AGENT", "KEY", "OTHER_KEY", "Api"]
