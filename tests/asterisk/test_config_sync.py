"""Trunk configuration kept in step with Asterisk over ARI: create, change, delete, restart, a node down."""

from __future__ import annotations

import asyncio

from byot_core.adapters.asterisk import desired_objects
from byot_core.adapters.asterisk.compare import differences
from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from tests.asterisk.conftest import AsteriskWorld, asterisk_world, eventually
from tests.support import ACCOUNT, IP_TRUNK, USERPASS_TRUNK, body


async def test_a_created_trunk_appears_as_pjsip_objects(world: AsteriskWorld) -> None:
    """A userpass trunk becomes its auth, AOR, endpoint, identify and registration, with the owned values."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    base = f"byot-{created.trunk.id}"
    objects = world.owned()
    assert set(objects) == {
        ("auth", f"{base}-auth"),
        ("aor", f"{base}-gw1"),
        ("endpoint", f"{base}-gw1"),
        ("identify", f"{base}-identify"),
        ("registration", f"{base}-reg"),
    }
    endpoint = objects[("endpoint", f"{base}-gw1")]
    assert endpoint["allow"] == "(ulaw|alaw)"
    assert endpoint["direct_media"] == "false"
    assert endpoint["outbound_auth"] == f"{base}-auth"
    assert endpoint["context"] == "byot-inbound"
    assert objects[("aor", f"{base}-gw1")]["contact"] == "sip:sip.zadarma.com:5060"
    assert objects[("auth", f"{base}-auth")]["password"] == USERPASS_TRUNK["auth_password"]
    assert objects[("identify", f"{base}-identify")]["match"] == "185.45.152.42/255.255.255.255"
    assert created.trunk.sync_state is SyncState.APPLIED


async def test_applying_again_writes_nothing(world: AsteriskWorld) -> None:
    """A trunk already in step costs reads only: no PUT, no DELETE that finds anything."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    puts = [r for r in world.nodes[0].requests if r[0] == "PUT"]
    again = await world.app.sync.push(created.trunk)
    assert again[1] == 0
    assert [r for r in world.nodes[0].requests if r[0] == "PUT"] == puts


async def test_an_update_replaces_gateways_and_shrinks_the_cidr_list(world: AsteriskWorld) -> None:
    """Two gateways become one, and three identifiers become one: stale objects and entries are gone."""
    trunk = body(IP_TRUNK, gateways=[
        {"gateway_address": "203.0.113.10", "priority": 1},
        {"gateway_address": "203.0.113.11", "priority": 2},
    ])  # fmt: skip
    created = await GuideApi(world.app).trunks.create(ACCOUNT, trunk)
    base = f"byot-{created.trunk.id}"
    assert ("endpoint", f"{base}-gw2") in world.owned()
    identify = world.owned()[("identify", f"{base}-identify")]["match"].split(",")
    assert len(identify) == 5
    await GuideApi(world.app).trunks.update(
        ACCOUNT,
        created.trunk.id,
        {
            "gateways": [{"gateway_address": "198.51.100.7", "port": 5080}],
            "ip_identifiers": [{"ip_address": "192.0.2.0/24"}],
        },
    )
    objects = world.owned()
    assert ("endpoint", f"{base}-gw2") not in objects
    assert ("aor", f"{base}-gw2") not in objects
    assert objects[("aor", f"{base}-gw1")]["contact"] == "sip:198.51.100.7:5080"
    assert objects[("identify", f"{base}-identify")]["match"].split(",") == [
        "198.51.100.7/255.255.255.255", "192.0.2.0/255.255.255.0",
    ]  # fmt: skip


async def test_deactivating_and_deleting_remove_every_object(world: AsteriskWorld) -> None:
    """Inactive trunks have no configuration; reactivating brings it back; deleting removes it for good."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"is_active": False})
    assert world.owned() == {}
    await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"is_active": True})
    assert len(world.owned()) == 5
    await world.app.trunks.delete(ACCOUNT, created.trunk.id)
    assert world.owned() == {}


async def test_objects_the_library_does_not_own_are_never_touched(world: AsteriskWorld) -> None:
    """An operator's own endpoint survives every reconcile and delete."""
    world.nodes[0].add_file_object("endpoint", "operator-phone", {"context": "internal"})
    world.nodes[0].objects[("aor", "byot-lookalike")] = {"contact": "sip:192.0.2.9:5060"}
    created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    await world.app.trunks.delete(ACCOUNT, created.trunk.id)
    await world.app.sync.reconcile()
    assert ("endpoint", "operator-phone") in world.nodes[0].objects
    assert ("aor", "byot-lookalike") in world.nodes[0].objects


async def test_objects_come_back_after_an_asterisk_restart(world: AsteriskWorld) -> None:
    """A restart forgets pushed objects; the reconnection triggers a reconcile that pushes them again."""
    await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    before = world.owned()
    await world.nodes[0].restart()
    assert world.owned() == {}
    await eventually(lambda: world.owned() == before)


async def test_a_node_down_marks_the_trunk_out_of_sync_until_it_returns() -> None:
    """With one of two nodes down the trunk is saved, FAILED, on the live node; applied to both once back."""
    async with asterisk_world(2) as world:
        down = world.nodes[1]
        await down.stop()
        created = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
        assert created.trunk.sync_state is SyncState.FAILED
        assert len(world.owned(0)) == 5
        stored = await world.app.trunks.get(ACCOUNT, created.trunk.id)
        assert stored.trunk.name == USERPASS_TRUNK["name"]
        await down.start()
        await eventually(lambda: world.owned(1) == world.owned(0))

        async def applied() -> bool:
            return (await world.app.trunks.get(ACCOUNT, created.trunk.id)).trunk.sync_state is SyncState.APPLIED

        await eventually(applied)


async def test_a_failing_node_is_retried_with_backoff() -> None:
    """Two 500s from Asterisk: the trunk is FAILED at first and applied by the retry loop without a reconnect."""
    async with asterisk_world() as world:
        world.nodes[0].fail_next(1, status=500, path_contains="/config/dynamic/")
        created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
        assert created.trunk.sync_state is SyncState.FAILED
        await eventually(lambda: len(world.owned()) == 3)


async def test_a_stalled_asterisk_times_out_instead_of_hanging() -> None:
    """An answer slower than the client's timeout is a failure recorded on the trunk, not a hung request."""
    async with asterisk_world(run_sync=False) as world:
        world.nodes[0].fail_next(1, status=0, stall=2.0, path_contains="/config/dynamic/")
        created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
        assert created.trunk.sync_state is SyncState.FAILED


async def test_without_a_writable_wizard_the_trunk_is_kept_and_failed() -> None:
    """Asterisk's 403 "Cannot create sorcery objects" leaves the trunk stored and FAILED, with the reason logged."""
    async with asterisk_world(run_sync=False, writable=False) as world:
        created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
        assert created.trunk.sync_state is SyncState.FAILED
        assert world.owned() == {}


async def test_a_dropped_websocket_reconnects_and_reconciles(world: AsteriskWorld) -> None:
    """An object lost while the event stream was down is put back once the stream reconnects."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    before = world.owned()
    del world.nodes[0].objects[("endpoint", f"byot-{created.trunk.id}-gw1")]
    await world.nodes[0].drop_websockets()
    await eventually(lambda: world.owned() == before)


async def test_reconcile_reports_what_it_did(world: AsteriskWorld) -> None:
    """One trunk in step, one changed behind our back, one deleted but still configured: each is counted."""
    kept = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    changed = await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK))
    gone = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, name="to delete"))
    node = world.nodes[0]
    node.objects[("endpoint", f"byot-{changed.trunk.id}-gw1")]["direct_media"] = "true"
    stash = dict(world.owned())
    await world.app.trunks.delete(ACCOUNT, gone.trunk.id)
    node.objects.update({k: v for k, v in stash.items() if gone.trunk.id in k[1]})
    seen: list[tuple[int, int]] = []
    report = await world.app.sync.reconcile(progress=lambda done, total: seen.append((done, total)))
    assert (report.applied, report.changed, report.removed, report.failed) == (2, 1, 1, 0)
    assert report.unknown == ()
    assert seen[-1] == (3, 3)
    assert node.objects[("endpoint", f"byot-{changed.trunk.id}-gw1")]["direct_media"] == "false"
    assert not [k for k in node.objects if gone.trunk.id in k[1]]
    assert kept.trunk.id in {k[1].split("-")[1] for k in world.owned()}


async def test_a_thorough_reconcile_also_finds_leftovers_of_applied_trunks(world: AsteriskWorld) -> None:
    """A stray gateway beside an applied, matching trunk: the quick pass skips it, the thorough one removes it."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    stray = f"byot-{created.trunk.id}-gw2"
    node = world.nodes[0]
    node.objects[("aor", stray)] = {"contact": "sip:192.0.2.9:5060"}
    node.objects[("endpoint", stray)] = {"aors": stray}
    quick = await world.app.sync.reconcile()
    assert (quick.changed, ("endpoint", stray) in node.objects) == (0, True)
    thorough = await world.app.sync.reconcile(thorough=True)
    assert thorough.changed == 1
    assert ("endpoint", stray) not in node.objects
    assert ("aor", stray) not in node.objects


async def test_an_interrupted_removal_is_finished_by_the_next_pass(world: AsteriskWorld) -> None:
    """Deleting a three-gateway trunk fails half-way; the retry finds what is left and removes all of it."""
    three = body(IP_TRUNK, gateways=[{"gateway_address": f"203.0.113.{i}", "priority": i} for i in (1, 2, 3)])
    created = await GuideApi(world.app).trunks.create(ACCOUNT, three)
    assert len(world.owned()) == 7
    base = f"byot-{created.trunk.id}"
    world.nodes[0].fail_next(1, status=500, path_contains=f"endpoint/{base}-gw2", method="DELETE")
    await world.app.trunks.delete(ACCOUNT, created.trunk.id)
    # The highest gateway went first, so what is left starts at gw1, where the next pass starts looking.
    assert set(world.owned()) == {(t, f"{base}-gw{i}") for t in ("aor", "endpoint") for i in (1, 2)}
    await eventually(lambda: world.owned() == {})


async def test_racing_updates_leave_asterisk_with_the_stored_version() -> None:
    """Two updates of one trunk at once, over a slow network: Asterisk ends with exactly what storage holds."""
    async with asterisk_world(run_sync=False, latency=0.01) as world:
        created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
        three = [{"gateway_address": f"203.0.113.{i}", "priority": i} for i in (1, 2, 3)]
        one = [{"gateway_address": "198.51.100.7", "priority": 1}]
        for _ in range(3):
            await asyncio.gather(
                GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"gateways": three}),
                GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"gateways": one}),
            )
            stored = (await world.app.trunks.get(ACCOUNT, created.trunk.id)).trunk
            wanted = {(o.type, o.id): o for o in desired_objects(stored, None)}
            assert set(world.owned()) == set(wanted)
            for key, obj in wanted.items():
                assert differences(obj, world.owned()[key]) == frozenset(), key
            assert stored.sync_state is SyncState.APPLIED


async def test_a_change_asterisk_does_not_see_is_not_pushed() -> None:
    """A new name, description or limit sends Asterisk nothing and keeps the trunk applied; a gateway change does."""
    async with asterisk_world(run_sync=False) as world:
        created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)

        def about_the_trunk() -> int:
            return sum(created.trunk.id in path for _, path in world.nodes[0].routes.requests)

        before = about_the_trunk()
        renamed = await GuideApi(world.app).trunks.update(
            ACCOUNT, created.trunk.id, {"name": "Night", "description": "after hours", "channels": 4}
        )
        assert about_the_trunk() == before
        assert renamed.trunk.sync_state is SyncState.APPLIED
        moved = await GuideApi(world.app).trunks.update(
            ACCOUNT, created.trunk.id, {"gateways": [{"gateway_address": "198.51.100.9", "priority": 1}]}
        )
        assert about_the_trunk() > before
        assert moved.trunk.sync_state is SyncState.APPLIED
        assert any("198.51.100.9" in fields.get("contact", "") for fields in world.owned().values())
