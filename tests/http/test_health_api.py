"""/health and /ready on the reference API: no key needed, 200 or 503 with what keeps the instance from calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import attrs

from byot_core.ports.storage import Storage
from byot_core.services.health import HealthService
from tests.http.conftest import Api
from tests.support import make_world


async def test_ready_follows_telephony_and_needs_no_key(api: Api) -> None:
    """Liveness always 200; readiness 503 while telephony is down, naming it, and 200 again once it is back."""
    health = await api.call("GET", "/health", key=None)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert health.headers["cache-control"] == "no-store"
    ready = await api.call("GET", "/ready", key=None)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "problems": []})
    api.world.telephony.down = True
    down = await api.call("GET", "/ready", key=None)
    assert (down.status_code, down.json()) == (503, {"status": "not ready", "problems": ["the fake telephony is down"]})
    assert (await api.call("GET", "/health", key=None)).status_code == 200  # alive, only not ready
    api.world.telephony.down = False
    assert (await api.call("GET", "/ready", key=None)).status_code == 200


class _Unit:
    def __init__(self, fail: BaseException | None, delay: float) -> None:
        self.fail, self.delay = fail, delay

    @property
    def trunks(self) -> _Unit:
        return self

    async def exists(self, account_id: str, trunk_id: str) -> bool:
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return False


class _Storage:
    """A database that refuses connections, or answers too slowly."""

    def __init__(self, fail: BaseException | None = None, delay: float = 0.0) -> None:
        self.fail, self.delay = fail, delay

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[_Unit]:
        yield _Unit(self.fail, self.delay)

    def unit_of_work(self, **kwargs: Any) -> Any:
        return self._unit()


async def test_storage_that_fails_or_is_slow_is_not_ready_and_its_error_stays_in_the_log() -> None:
    """The answer names the failure's kind, never its text (which may name hosts and users)."""
    deps = make_world().app.deps
    failing = _Storage(ConnectionRefusedError("connect to db.internal:5432 as admin refused"))
    refused = HealthService(attrs.evolve(deps, storage=cast(Storage, failing)))
    assert (await refused.ready()).problems == ("storage: not reachable (ConnectionRefusedError)",)
    slow = HealthService(attrs.evolve(deps, storage=cast(Storage, _Storage(delay=1.0))))
    assert (await slow.ready(within=0.05)).problems == ("storage: did not answer within 0.05 s",)
    assert (await HealthService(deps).ready()).ready
