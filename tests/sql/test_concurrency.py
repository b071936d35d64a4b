"""Races between service instances: the database, not a read before the write, keeps the rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import byot_core
from byot_core import ByotError, ChannelsFull, PhoneNumberConflict, TrunkNameConflict, TrunkVersionMismatch
from byot_core.adapters.fernet_secrets import FernetSecretBox, new_key
from byot_core.adapters.sql import SqlStorage
from byot_core.domain.events import InboundCallArrived
from byot_core.domain.routing import Route
from byot_core.guide_api import GuideApi
from tests.backends import SQL_BACKENDS, database_url
from tests.support import ACCOUNT, AGENT, USERPASS_TRUNK, body

INSTANCES = 4  # separate engines, as separate service instances would have


@pytest.fixture(params=SQL_BACKENDS)
async def apps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[byot_core.Byot]]:
    """Several applications, each with its own engine (connection pool), on one database, sharing secret keys."""
    url = await database_url(str(request.param), tmp_path)
    storages = [await SqlStorage.open(url) for _ in range(INSTANCES)]
    keys = [new_key()]
    try:
        yield [byot_core.build(storage=s, secrets=FernetSecretBox(keys)) for s in storages]
    finally:
        for storage in storages:
            await storage.close()


async def outcomes(calls: list[Any]) -> list[object]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_one_did_on_twenty_trunks_at_once(apps: list[byot_core.Byot]) -> None:
    """20 concurrent adds of one DID, spelt differently, to 20 active trunks: one success, 19 guide refusals."""
    trunk_ids = [
        (await GuideApi(apps[0]).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"trunk {i}"))).trunk.id
        for i in range(20)
    ]
    spellings = ["+919876543210", "919876543210", "+91 98765 43210", "91-98765-43210"]
    results = await outcomes(
        [
            GuideApi(apps[i % INSTANCES]).numbers.add(
                ACCOUNT, trunk_id, {"phone_number": spellings[i % len(spellings)]}
            )
            for i, trunk_id in enumerate(trunk_ids)
        ]
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 19, failures
    assert all(isinstance(f, PhoneNumberConflict) for f in failures), failures
    assert {f.message for f in failures if isinstance(f, ByotError)} == {
        "Phone number already exists on another active trunk"
    }
    decision = await apps[1].inbound.explain("+919876543210")
    assert decision.checks[0].passed


async def test_one_name_twenty_times_at_once(apps: list[byot_core.Byot]) -> None:
    """20 concurrent creates of one trunk name in one account: exactly one trunk."""
    results = await outcomes([GuideApi(apps[i % INSTANCES]).trunks.create(ACCOUNT, USERPASS_TRUNK) for i in range(20)])
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 19
    assert all(isinstance(f, TrunkNameConflict) for f in failures), failures
    assert len(await apps[2].trunks.list(ACCOUNT)) == 1


async def test_reactivations_sharing_a_did(apps: list[byot_core.Byot]) -> None:
    """10 concurrent reactivations of inactive trunks that share a DID leave at most one active holder."""
    trunk_ids = []
    for i in range(10):
        created = await GuideApi(apps[0]).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"trunk {i}"))
        await GuideApi(apps[0]).trunks.update(ACCOUNT, created.trunk.id, {"is_active": False})
        await GuideApi(apps[0]).numbers.add(ACCOUNT, created.trunk.id, {"phone_number": "+15550001234"})
        trunk_ids.append(created.trunk.id)
    results = await outcomes(
        [GuideApi(apps[i % INSTANCES]).trunks.update(ACCOUNT, t, {"is_active": True}) for i, t in enumerate(trunk_ids)]
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(f, PhoneNumberConflict) for f in failures), failures
    assert all("+15550001234" in f.message for f in failures if isinstance(f, ByotError))
    active = [s for s in await apps[0].trunks.list(ACCOUNT, is_active=True)]
    assert len(active) == 10 - len(failures) == 1
    async with apps[3].deps.storage.unit_of_work() as uow:
        holders = [c for c in await uow.numbers.routing_candidates("15550001234") if c.trunk.routes_calls]
    assert len(holders) == 1


async def test_deleting_a_trunk_while_numbers_are_added_and_mapped(apps: list[byot_core.Byot]) -> None:
    """A DELETE of a trunk racing five adds and five mappings, ten rounds: each ends done or refused.

    Never a database error: on PostgreSQL they deadlocked in about half the rounds when locks were taken in two
    orders. After the delete no live number is left on the trunk.
    """
    for app in apps:
        app.deps.agents.register(ACCOUNT, AGENT, telephony_provider="sip-trunk")  # type: ignore[attr-defined]
    for round_ in range(10):
        trunk_id = (
            await GuideApi(apps[0]).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"doomed {round_}"))
        ).trunk.id
        mapped = [
            (
                await GuideApi(apps[0]).numbers.add(ACCOUNT, trunk_id, {"phone_number": f"+1415555{round_:02d}{i:02d}"})
            ).id
            for i in range(5)
        ]
        calls: list[Any] = [apps[0].trunks.delete(ACCOUNT, trunk_id)]
        calls += [
            GuideApi(apps[(i % (INSTANCES - 1)) + 1]).numbers.add(
                ACCOUNT, trunk_id, {"phone_number": f"+1415666{round_:02d}{i:02d}"}
            )
            for i in range(5)
        ]
        calls += [
            GuideApi(apps[(i % (INSTANCES - 1)) + 1]).inbound.setup(
                ACCOUNT, {"agent_id": AGENT, "phone_number_id": number_id}
            )
            for i, number_id in enumerate(mapped)
        ]
        results = await outcomes(calls)
        assert not isinstance(results[0], BaseException), results[0]
        unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, ByotError)]
        assert unexpected == [], unexpected
        busy = [r for r in results if isinstance(r, ByotError) and r.code == "storage_busy"]
        assert busy == [], busy
        async with apps[0].deps.storage.unit_of_work(read_only=True) as uow:
            live = await uow.numbers.list_for_trunk(ACCOUNT, trunk_id)
        assert live == [], "a deleted trunk keeps no live number"


async def test_a_trunks_channel_limit_holds_across_instances(apps: list[byot_core.Byot]) -> None:
    """50 calls at once through 4 instances, inbound and outbound mixed, on a trunk of 10 channels: exactly 10."""
    for app in apps:
        app.deps.agents.register(ACCOUNT, AGENT, telephony_provider="sip-trunk")  # type: ignore[attr-defined]
    trunk = await GuideApi(apps[0]).trunks.create(
        ACCOUNT, body(USERPASS_TRUNK, channels=10, inbound_enabled=True, default_inbound_agent_id=AGENT)
    )
    await GuideApi(apps[0]).numbers.add(ACCOUNT, trunk.trunk.id, {"phone_number": "+919876543210"})
    call = {"agent_id": AGENT, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}

    async def inbound(i: int) -> bool:
        arrived = InboundCallArrived(f"in-{i}", "+919876543210", caller="+14155550100")
        return isinstance(await apps[i % INSTANCES].inbound.handle_call(arrived), Route)

    async def outbound(i: int) -> bool:
        try:
            await GuideApi(apps[i % INSTANCES]).calls.place(ACCOUNT, call)
        except ChannelsFull:
            return False
        return True

    results = await asyncio.gather(*(inbound(i) if i % 2 else outbound(i) for i in range(50)))
    assert sum(results) == 10
    async with apps[1].deps.storage.unit_of_work(read_only=True) as uow:
        assert await uow.executions.live_on_trunk(trunk.trunk.id) == 10
    recorded = await apps[2].calls.list_for_agent(ACCOUNT, AGENT)
    assert len(recorded) == 10  # refused outbound calls leave nothing; refused inbound ones were never recorded


async def test_a_trunks_pace_holds_across_instances(apps: list[byot_core.Byot]) -> None:
    """30 calls at once through 4 instances on a trunk of 5 calls a second: no second starts more than 5 attempts."""
    for app in apps:
        app.deps.agents.register(ACCOUNT, AGENT, telephony_provider="sip-trunk")  # type: ignore[attr-defined]
    trunk = await GuideApi(apps[0]).trunks.create(ACCOUNT, body(USERPASS_TRUNK, calls_per_second=5))
    await GuideApi(apps[0]).numbers.add(ACCOUNT, trunk.trunk.id, {"phone_number": "+919876543210"})
    call = {"agent_id": AGENT, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}
    placed = await asyncio.gather(*(GuideApi(apps[i % INSTANCES]).calls.place(ACCOUNT, call) for i in range(30)))
    starts = sorted(p.attempts[0].started_at for p in placed)
    for i, first in enumerate(starts):
        assert sum(1 for s in starts[i:] if (s - first).total_seconds() < 1) <= 5
    assert 5.5 <= (starts[-1] - starts[0]).total_seconds() <= 6.5  # 30 slots, 0.2 s apart
    for app in apps:
        await app.deps.background.cancel()


async def test_concurrent_patches_apply_one_after_another(apps: list[byot_core.Byot]) -> None:
    """20 PATCHes of one trunk at once through 4 instances: each answers its own body, none mixes two."""
    trunk_id = (await GuideApi(apps[0]).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id

    def patch(i: int) -> dict[str, object]:
        return {
            "name": f"name {i}",
            "description": f"description {i}",
            "gateways": [{"gateway_address": f"10.0.0.{i}", "port": 5060, "priority": 1}],
        }

    answers = await asyncio.gather(
        *(GuideApi(apps[i % INSTANCES]).trunks.update(ACCOUNT, trunk_id, patch(i)) for i in range(20))
    )
    for i, answer in enumerate(answers):
        trunk = answer.trunk
        assert (trunk.name, trunk.description, trunk.gateways[0].address) == (
            f"name {i}",
            f"description {i}",
            f"10.0.0.{i}",
        ), f"PATCH {i} answered another request's write: {trunk.name}"
    # One after the other: every PATCH made its own revision, and the last one stored is whole.
    assert sorted(a.trunk.revision for a in answers) == list(range(2, 22))
    last = max(answers, key=lambda a: a.trunk.revision).trunk
    stored = (await apps[3].trunks.get(ACCOUNT, trunk_id)).trunk
    assert (stored.name, stored.description, stored.gateways, stored.revision) == (
        last.name,
        last.description,
        last.gateways,
        21,
    )


async def test_if_revision_lets_one_of_twenty_changes_through(apps: list[byot_core.Byot]) -> None:
    """20 PATCHes made from revision 1, at once, through 4 instances: one is stored, 19 are told the trunk changed."""
    trunk_id = (await GuideApi(apps[0]).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    results = await outcomes(
        [
            GuideApi(apps[i % INSTANCES]).trunks.update(ACCOUNT, trunk_id, {"description": f"d{i}"}, if_revision=1)
            for i in range(20)
        ]
    )
    stored = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, TrunkVersionMismatch)]
    assert (len(stored), len(refused)) == (1, 19), results
    (winner,) = (r for r in results if isinstance(r, byot_core.TrunkDetails))
    assert (await apps[1].trunks.get(ACCOUNT, trunk_id)).trunk.description == winner.trunk.description
