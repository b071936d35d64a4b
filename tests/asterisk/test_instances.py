"""Several instances of the library on one storage and the same Asterisk nodes."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections import deque
from collections.abc import AsyncIterator

import aiohttp
import pytest

import byot_core
from byot_core.adapters.asterisk import desired_objects
from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.compare import differences
from byot_core.adapters.asterisk.extensions import render_extensions
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.adapters.memory import RecordingInboundHandler
from byot_core.adapters.system import SystemClock, UlidFactory
from byot_core.domain.call_flow import DROPPED_TEXT, END_NOT_SEEN, NOT_TAKEN
from byot_core.domain.execution import Execution
from byot_core.domain.media import MediaPlan
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from byot_core.services.instances import InstanceLeases
from byot_core.testing.fake_asterisk.dialplan import DEFAULT_DIALPLAN, Dialplan, Entered, HungUp
from tests.asterisk.conftest import ARI_PASSWORD, AsteriskWorld, asterisk_world, eventually
from tests.asterisk.test_calls import finished, mapped, trunk_and_number
from tests.support import ACCOUNT, GUIDE_CALL, IP_TRUNK


@contextlib.asynccontextmanager
async def another_instance(
    world: AsteriskWorld,
    app_name: str,
    handler: RecordingInboundHandler | None = None,
    media_plan: MediaPlan | None = None,
) -> AsyncIterator[byot_core.Byot]:
    """A second application on the world's storage, agents and nodes, with its own ARI application and locks."""
    clients = [AriClient(n.url, "byot", ARI_PASSWORD, app_name, timeout=0.5, first_retry=0.05) for n in world.nodes]
    telephony = AriTelephony(clients)
    app = byot_core.build(
        storage=world.app.deps.storage,
        telephony=telephony,
        agents=world.app.deps.agents,
        secrets=world.app.deps.secrets,
        clock=SystemClock(),
        ids=UlidFactory(),
        inbound_handler=handler or RecordingInboundHandler(),
        media_plan=media_plan,
    )
    events = asyncio.create_task(app.events.run())
    try:
        await eventually(lambda: all(app_name in n.connected_apps() for n in world.nodes))
        yield app
    finally:
        events.cancel()
        await asyncio.gather(events, return_exceptions=True)
        await telephony.close()


async def test_two_instances_updating_one_trunk_leave_every_node_at_the_last_version() -> None:
    """Two instances update one trunk at once, 25 times, over a jittery network: both nodes end at the last version."""
    async with (
        asterisk_world(2, run_sync=False, latency=0.002, jitter=0.02) as world,
        another_instance(world, "byot-b") as other,
    ):
        trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)).trunk.id

        def gateways(i: int) -> list[dict[str, object]]:
            # Shapes of one to three gateways, so that an older push leaves objects the newer one has not.
            return [{"gateway_address": f"203.0.{i}.{g}", "priority": g} for g in range(1, i % 3 + 2)]

        for round_ in range(25):
            await asyncio.gather(
                GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, {"gateways": gateways(2 * round_)}),
                GuideApi(other).trunks.update(ACCOUNT, trunk_id, {"gateways": gateways(2 * round_ + 1)}),
            )
            stored = (await world.app.trunks.get(ACCOUNT, trunk_id)).trunk
            wanted = {(o.type, o.id): o for o in desired_objects(stored, None)}
            for node in range(2):
                held = world.owned(node)
                assert set(held) == set(wanted), f"round {round_}: node {node} holds another version"
                for key, obj in wanted.items():
                    assert differences(obj, held[key]) == frozenset(), (round_, node, key)
            assert stored.sync_state is SyncState.APPLIED
        assert stored.revision == 51


async def test_inbound_calls_enter_the_next_instance_when_one_is_gone(world: AsteriskWorld) -> None:
    """The generated dialplan tries each instance's application in turn: losing one loses no inbound call."""
    world.nodes[0].load_dialplan(render_extensions(["byot-b", "byot"]))
    await mapped(world)
    first = RecordingInboundHandler()
    async with another_instance(world, "byot-b", first):
        channel = world.nodes[0].inbound_call("+919876543210", "203.0.113.2")
        await eventually(lambda: len(first.offers) == 1)
        assert world.handler.offers == deque()  # the first application of the list took it
    # byot-b is gone (its websocket closed): the next call enters byot at once, without any timeout.
    assert "byot-b" not in world.nodes[0].connected_apps()
    second = world.nodes[0].inbound_call("+919876543210", "203.0.113.2")
    assert second.app == "byot"
    await eventually(lambda: len(world.handler.offers) == 1)

    async def answered() -> bool:
        execution = await world.app.calls.get(ACCOUNT, world.handler.offers[0].execution_id)
        return execution.status is ExecutionStatus.IN_PROGRESS

    await eventually(answered)
    assert second.sip_answer == 200
    # With no application left, Stasis fails for each and the carrier gets 603.
    await world.telephony.close()
    await eventually(lambda: not world.nodes[0].connected_apps())
    assert world.nodes[0].inbound_call("+919876543210", "203.0.113.2").sip_answer == 603
    assert channel.app == "byot-b"


async def ringing_when_b_dies(world: AsteriskWorld) -> Execution:
    """Instance b places a call whose callee answers 1 s later, and stops while it rings; this instance adopts it."""
    await trunk_and_number(world)
    node = world.nodes[0]
    node.book.answer_after = 1.0
    heir = InstanceLeases(world.app.deps, world.app.calls, lease=0.5, renew_every=0.1)
    async with another_instance(world, "byot-b") as b:
        lease = InstanceLeases(b.deps, b.calls, lease=0.3, renew_every=0.1)
        await lease.renew()
        placed = await GuideApi(b).calls.place(ACCOUNT, GUIDE_CALL)
        await eventually(lambda: node.channels and next(iter(node.channels.values())).state == "Ringing")
    await asyncio.sleep(0.35)
    report = await heir.take_over()
    assert (report.adopted, report.followed) == (1, 1)  # still ringing: followed by this instance now
    return placed


async def test_an_outbound_call_answered_after_its_instance_died_reaches_a_live_instance(world: AsteriskWorld) -> None:
    """Instance b's call rings, b dies, the callee answers: the dialplan tries byot-b, then byot, which takes it."""
    placed = await ringing_when_b_dies(world)
    node = world.nodes[0]
    channel_id = placed.attempts[0].channel_id

    async def answered() -> bool:
        execution = await world.app.calls.get(ACCOUNT, placed.id)
        return execution.status is ExecutionStatus.IN_PROGRESS and bool(world.outbound.calls)

    await eventually(answered, within=3.0)
    assert node.channels[channel_id].entry == ("byot-outbound", "s")  # originated into the dialplan
    assert node.channels[channel_id].app == "byot"  # entered the live instance's application
    assert [c.execution_id for c in world.outbound.calls] == [placed.id]  # handed to its agent, once
    node.remote_hang_up(channel_id)
    ended = await finished(world, placed.id)
    assert (ended.status, ended.hangup_reason and ended.hangup_reason.text) == (
        ExecutionStatus.COMPLETED,
        "Call ended normally",
    )


async def test_a_node_without_the_outbound_context_drops_such_a_call_and_it_reads_failed(
    world: AsteriskWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """A dialplan of before (no byot-outbound): dialled into b's application, so, as observed, dropped once answered."""
    world.nodes[0].load_dialplan(DEFAULT_DIALPLAN.partition("[byot-outbound]")[0])
    placed = await ringing_when_b_dies(world)
    node = world.nodes[0]
    assert "has no byot-outbound context" in caplog.text
    dropped = await finished(world, placed.id)
    channel = node.ended[placed.attempts[0].channel_id]
    assert (channel.state, channel.hangup_cause) == ("Up", 0)  # answered, then hung up by Asterisk at once
    assert dropped.status is ExecutionStatus.FAILED
    assert dropped.hangup_reason is not None
    assert (dropped.hangup_reason.text, dropped.hangup_reason.cause_name) == (DROPPED_TEXT, NOT_TAKEN)
    assert not world.outbound.calls  # no agent ever had it


def test_the_dialplan_enters_the_first_connected_application_of_the_list() -> None:
    """Every subset of connected applications, every rotation: the first connected one in order, else 603."""
    apps = ["byot-a", "byot-b", "byot-c"]
    for rotate in range(3):
        order = [*apps[rotate:], *apps[:rotate]]
        plan = Dialplan(render_extensions(apps, rotate=rotate))
        for mask in range(8):
            connected = {app for i, app in enumerate(apps) if mask >> i & 1}
            for did in ("+15550001234", "15550001234"):
                outcome = plan.run("byot-inbound", did, connected.__contains__)
                expected = next((app for app in order if app in connected), None)
                assert outcome == (Entered(expected, (did,)) if expected else HungUp(16)), (rotate, connected)
        assert plan.run("byot-reject", "+15550001234", lambda _: True) == HungUp(21)
        # Answered outbound calls: the placing instance's application first, then the list in order.
        for placer in apps:
            assert plan.has_label("byot-outbound", "s", "byot")
            for mask in range(8):
                connected = {app for i, app in enumerate(apps) if mask >> i & 1}
                outcome = plan.run("byot-outbound", "s", connected.__contains__, {"BYOT_APP": placer})
                expected = next((app for app in [placer, *order] if app in connected), None)
                assert outcome == (Entered(expected, ("byot-outbound",)) if expected else HungUp(16)), (placer, mask)


async def test_a_stopped_instances_calls_are_taken_over_over_ari(world: AsteriskWorld) -> None:
    """Instance b places two calls and stops: a takes both, finishes the one that ended unseen, follows the other."""
    await trunk_and_number(world)
    heir = InstanceLeases(world.app.deps, world.app.calls, lease=0.5, renew_every=0.1)
    async with another_instance(world, "byot-b") as b:
        lease = InstanceLeases(b.deps, b.calls, lease=0.3, renew_every=0.1)
        await lease.renew()
        live = await GuideApi(b).calls.place(ACCOUNT, GUIDE_CALL)
        gone = await GuideApi(b).calls.place(ACCOUNT, GUIDE_CALL)

        async def both_answered() -> bool:
            statuses = {(await b.calls.get(ACCOUNT, e.id)).status for e in (live, gone)}
            return statuses == {ExecutionStatus.IN_PROGRESS}

        await eventually(both_answered)
    # b is gone without a word (its websocket closed, its lease not released); one callee hangs up meanwhile, unseen
    # (a's endpoint subscription, which would have brought the end, is taken away first).
    node = world.nodes[0]
    node.hub.unsubscribe("byot", "endpoint:PJSIP")
    node.remote_hang_up(gone.attempts[0].channel_id)
    await asyncio.sleep(0.35)
    assert (await world.app.calls.get(ACCOUNT, gone.id)).status is ExecutionStatus.IN_PROGRESS  # nobody saw it
    report = await heir.take_over()
    assert (report.adopted, report.finished, report.followed) == (2, 1, 1)
    unseen = await world.app.calls.get(ACCOUNT, gone.id)
    assert unseen.status is ExecutionStatus.COMPLETED
    assert unseen.hangup_reason is not None
    assert unseen.hangup_reason.cause_name == END_NOT_SEEN
    channel = live.attempts[0].channel_id
    assert f"channel:{channel}" in node.subscriptions("byot")  # the live call's events now come to a
    node.remote_hang_up(channel)
    ended = await finished(world, live.id)
    assert ended.status is ExecutionStatus.COMPLETED
    assert ended.hangup_reason is not None
    assert ended.hangup_reason.text == "Call ended normally"
    assert ended.instance_id == world.app.deps.instance_id


async def test_an_inbound_call_delivered_to_a_gone_instance_is_refused_by_a_sweep(world: AsteriskWorld) -> None:
    """A call that entered an application nobody serves (a host gone without closing its socket) is refused, 503."""
    world.nodes[0].load_dialplan(render_extensions(["byot-ghost", "byot"]))
    await mapped(world)
    auth = {"Authorization": "Basic " + base64.b64encode(f"byot:{ARI_PASSWORD}".encode()).decode()}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{world.nodes[0].url}/ari/events", params={"app": "byot-ghost"}, headers=auth),
    ):
        # byot-ghost looks connected to the node, and never answers anything.
        await eventually(lambda: "byot-ghost" in world.nodes[0].connected_apps())
        stray = world.nodes[0].inbound_call("+919876543210", "203.0.113.2")
        assert stray.app == "byot-ghost"
        leases = InstanceLeases(world.app.deps, world.app.calls, stray_after=0.3)
        answers = []
        for wait in (0.0, 0.35):
            await asyncio.sleep(wait)
            await leases.sweep()
            answers.append(stray.sip_answer)
        # Too young to be taken for a stray at first; then refused with cause 41, which the carrier may retry.
        assert answers == [None, 503]
        assert world.handler.offers == deque()
