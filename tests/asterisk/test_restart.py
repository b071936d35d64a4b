"""A restarted or freshly started Asterisk: connected at once, trunks pushed back in seconds, health reports after.

The fake plays what a real node does after a start with its PJSIP objects in memory: the application's websocket
connects, but ``endpoint:PJSIP`` is refused (422) until the first endpoint is pushed.
"""

from __future__ import annotations

import asyncio

from byot_core.domain.status import ExecutionStatus
from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from byot_core.testing.fake_asterisk import GatewayPlay
from tests.asterisk.conftest import AsteriskWorld, asterisk_world, eventually
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, IP_TRUNK, USERPASS_TRUNK, body

# The library's own defaults for the event stream's reconnection and the sync loop's backoff and idle pass.
DEFAULT_CLIENT = {"timeout": 5.0, "heartbeat": 10.0, "first_retry": 0.5, "max_retry": 5.0}
DEFAULT_SYNC = {"first_retry": 1.0, "max_retry": 60.0, "idle": 300.0}


async def applied(world: AsteriskWorld, trunk_id: str) -> bool:
    return (await world.app.trunks.get(ACCOUNT, trunk_id)).trunk.sync_state is SyncState.APPLIED


async def test_a_first_start_with_no_trunks_has_its_event_stream() -> None:
    """No endpoint anywhere: the node is connected anyway, and the first trunk brings health reports and calls."""
    async with asterisk_world() as world:
        node = world.nodes[0]
        assert world.telephony.connected_nodes == {world.telephony.clients[0].node}
        assert "endpoint:PJSIP" not in node.subscriptions()  # refused with 422: no endpoint has existed yet
        created = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, gateways=[
            {"gateway_address": "203.0.113.1", "priority": 1},
            {"gateway_address": "203.0.113.2", "priority": 2},
        ]))  # fmt: skip
        assert created.trunk.sync_state is SyncState.APPLIED
        await world.watching()
        node.set_contact_status(f"byot-{created.trunk.id}-gw1", "Unreachable")
        await eventually(lambda: world.reported_down(created.trunk.id, 1))
        number = await GuideApi(world.app).numbers.add(ACCOUNT, created.trunk.id, {"phone_number": "+919876543210"})
        node.script("203.0.113.2:5060", GatewayPlay.ANSWER_THEN_BYE)
        placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)

        async def completed() -> bool:
            return (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.COMPLETED

        await eventually(completed)
        assert [d[0] for d in node.dialled] == ["203.0.113.2:5060"]
        await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
        node.inbound_call("+919876543210", "203.0.113.1")
        await eventually(lambda: len(world.handler.offers) == 1)


async def test_after_a_restart_every_trunk_is_back_within_seconds() -> None:
    """Five trunks, Asterisk down 1 s: with the library's default timings all are pushed back within 5 s.

    The reconnection alone may come 2.5 s after the node is back (jittered backoff up to 2 s); the rest is the push.
    Before the fix they came back with the idle pass, 300 s later.
    """
    async with asterisk_world(client=DEFAULT_CLIENT, sync=DEFAULT_SYNC) as world:
        node = world.nodes[0]
        trunks = [
            await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"trunk {i}")) for i in range(5)
        ]
        await world.watching()
        before = world.owned()
        assert len(before) == 25
        await node.restart(downtime=1.0)
        back = asyncio.get_running_loop().time()
        assert world.owned() == {}
        await eventually(lambda: world.owned() == before, within=5.0)
        await world.watching()
        took = asyncio.get_running_loop().time() - back
        assert took < 5.0
        for created in trunks:
            assert await applied(world, created.trunk.id)
        node.set_contact_status(f"byot-{trunks[0].trunk.id}-gw1", "Unreachable")
        await eventually(lambda: world.reported_down(trunks[0].trunk.id, 1))


async def test_a_reconnection_ends_the_sync_backoff() -> None:
    """A trunk failed while the node was down; the node's return pushes it at once, not after the backoff."""
    async with asterisk_world(2, sync={"first_retry": 20.0, "max_retry": 20.0, "idle": 300.0}) as world:
        down = world.nodes[1]
        await down.stop()
        created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
        assert created.trunk.sync_state is SyncState.FAILED
        await asyncio.sleep(0.3)  # the loop's pass fails too, and backs off for 10 to 20 s
        await down.start()
        await eventually(lambda: world.owned(1) == world.owned(0), within=3.0)
        await eventually(lambda: applied(world, created.trunk.id), within=3.0)


async def test_a_refused_subscription_neither_disconnects_nor_holds_back_pushes() -> None:
    """Subscriptions answered 500: the node stays connected, trunks are applied, and a later push subscribes."""
    async with asterisk_world() as world:
        node = world.nodes[0]
        node.fail_next(1000, status=500, path_contains="/subscription")
        for name in ("first", "second"):
            created = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, name=name))
            assert created.trunk.sync_state is SyncState.APPLIED
        await eventually(lambda: sum("/subscription" in path for _, path in node.requests) >= 2)
        assert world.telephony.connected_nodes == {world.telephony.clients[0].node}
        assert "endpoint:PJSIP" not in node.subscriptions()
        node.clear_faults()
        await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, name="third"))
        await world.watching()
        assert world.telephony.connected_nodes == {world.telephony.clients[0].node}


async def test_an_inbound_call_is_routed_when_its_channel_cannot_be_subscribed(world: AsteriskWorld) -> None:
    """The channel subscription and the source lookup both fail: the call still reaches its agent."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    number = await GuideApi(world.app).numbers.add(ACCOUNT, created.trunk.id, {"phone_number": "+919876543210"})
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
    world.nodes[0].fail_next(1, status=500, path_contains="/variable")
    world.nodes[0].fail_next(1, status=500, path_contains="/subscription")
    channel = world.nodes[0].inbound_call("+919876543210", "15.207.90.192")
    await eventually(lambda: len(world.handler.offers) == 1)
    assert world.handler.offers[0].channel_id == channel.id
    assert channel.sip_answer == 200
