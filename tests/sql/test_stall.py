"""One tenant's largest request never stalls the others: reads answer beside it, and it writes in one go."""

from __future__ import annotations

import asyncio
import time

import pytest

import byot_core
from byot_core.adapters.sql import SqlStorage
from byot_core.domain.errors import ValidationFailed
from byot_core.domain.trunk import MAX_IP_IDENTIFIERS, MAX_NUMBERS_AT_CREATION, SyncState
from byot_core.guide_api import GuideApi
from byot_core.services.views import TrunkDetails
from tests.support import ACCOUNT, IP_TRUNK, OTHER_ACCOUNT, USERPASS_TRUNK, body

LARGEST = body(
    USERPASS_TRUNK,
    phone_numbers=[{"phone_number": f"+1415555{i:04d}"} for i in range(MAX_NUMBERS_AT_CREATION)],
    ip_identifiers=None,
)


async def test_reads_answer_while_the_largest_create_runs(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """Another tenant's trunk is read again and again during a create with the most numbers allowed."""
    app, _ = sql
    other = (await GuideApi(app).trunks.create(OTHER_ACCOUNT, IP_TRUNK)).trunk.id
    latencies: list[float] = []
    creating = True

    async def read_meanwhile() -> None:
        while creating:
            start = time.perf_counter()
            await app.trunks.get(OTHER_ACCOUNT, other)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0)

    reader = asyncio.create_task(read_meanwhile())
    await asyncio.sleep(0)
    created = await GuideApi(app).trunks.create(ACCOUNT, LARGEST)
    creating = False
    await reader
    assert len(created.phone_numbers) == MAX_NUMBERS_AT_CREATION
    assert latencies
    # Before reads stopped queueing for the write lock, one waited the whole create (987 ms for this one).
    assert max(latencies) < 1.0, f"a read waited {max(latencies):.3f} s"


async def test_a_read_completes_while_a_writer_holds_its_transaction(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """A unit of work that has written and not committed does not keep another tenant's read waiting."""
    app, storage = sql
    other = (await GuideApi(app).trunks.create(OTHER_ACCOUNT, IP_TRUNK)).trunk.id
    async with storage.unit_of_work() as writer:
        await writer.trunks.set_sync_state(other, SyncState.FAILED)  # holds SQLite's write lock from here
        read = await asyncio.wait_for(app.trunks.get(OTHER_ACCOUNT, other), timeout=2.0)
        assert read.trunk.sync_state is SyncState.APPLIED, "the read sees the last commit, not the pending write"


async def test_the_largest_create_is_one_short_write(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """A thousand numbers go in as one statement, so another tenant's write waits a fraction of a second at most."""
    app, _ = sql
    start = time.perf_counter()
    write = asyncio.create_task(GuideApi(app).trunks.create(ACCOUNT, LARGEST))
    await asyncio.sleep(0)
    await GuideApi(app).trunks.create(OTHER_ACCOUNT, IP_TRUNK)
    waited = time.perf_counter() - start
    await write
    assert waited < 1.0, f"the other tenant's create took {waited:.2f} s"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone_numbers": [{"phone_number": "+14155550100"}] * (MAX_NUMBERS_AT_CREATION + 1)},
         f"phone_numbers must have at most {MAX_NUMBERS_AT_CREATION} entries"),
        ({"auth_type": "ip-based", "auth_username": None, "auth_password": None,
          "ip_identifiers": [{"ip_address": "10.0.0.1"}] * 36_000},
         f"ip_identifiers must have at most {MAX_IP_IDENTIFIERS} entries"),
    ],
)  # fmt: skip
async def test_lists_over_their_caps_are_refused_at_once(
    sql: tuple[byot_core.Byot, SqlStorage], changes: dict[str, object], message: str
) -> None:
    """Over the cap: refused before any item is read, in far less than the 14 s a quadratic check took."""
    app, _ = sql
    start = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        await GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, **changes))
    assert refused.value.message == message
    assert time.perf_counter() - start < 0.5


async def test_each_concurrent_patch_answers_with_its_own_write(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """Twenty PATCHes of one trunk at once: every response is the trunk as that PATCH left it, never a mix."""
    app, _ = sql
    trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, IP_TRUNK)).trunk.id

    async def patch(i: int) -> tuple[int, TrunkDetails]:
        changes = {"description": f"write {i}", "gateways": [{"gateway_address": f"203.0.113.{i + 1}"}]}
        return i, await GuideApi(app).trunks.update(ACCOUNT, trunk_id, changes)

    for i, details in await asyncio.gather(*(patch(i) for i in range(20))):
        trunk = details.trunk
        assert trunk.description == f"write {i}"
        assert [g.address for g in trunk.gateways] == [f"203.0.113.{i + 1}"]
