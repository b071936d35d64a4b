"""Calls through fake Asterisk: outbound failover from ARI events, inbound routing from StasisStart."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from byot_core.domain.execution import AttemptResult, Direction
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from byot_core.testing.fake_asterisk import GatewayPlay
from tests.asterisk.conftest import AsteriskWorld, asterisk_world, eventually
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, IP_TRUNK, body

GATEWAYS = [
    {"gateway_address": "203.0.113.1", "priority": 1},
    {"gateway_address": "203.0.113.2", "priority": 2},
    {"gateway_address": "203.0.113.3", "priority": 3},
]


async def trunk_and_number(world: AsteriskWorld, **changes: Any) -> tuple[str, str]:
    created = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, gateways=GATEWAYS, **changes))
    number = await GuideApi(world.app).numbers.add(ACCOUNT, created.trunk.id, {"phone_number": "+919876543210"})
    return created.trunk.id, number.id


async def in_progress(world: AsteriskWorld, execution_id: str) -> None:
    """Wait until the call is answered as its execution records it (events reach the execution asynchronously)."""

    async def answered() -> bool:
        return (await world.app.calls.get(ACCOUNT, execution_id)).status is ExecutionStatus.IN_PROGRESS

    await eventually(answered)


async def finished(world: AsteriskWorld, execution_id: str) -> Any:
    async def ended() -> bool:
        return (await world.app.calls.get(ACCOUNT, execution_id)).status.is_terminal

    await eventually(ended)
    return await world.app.calls.get(ACCOUNT, execution_id)


async def test_failover_503_then_timeout_then_answer(world: AsteriskWorld) -> None:
    """Three gateways: 503, no response, answer → one completed execution with three recorded attempts."""
    trunk_id, _ = await trunk_and_number(world)
    node = world.nodes[0]
    node.script("203.0.113.1:5060", GatewayPlay.CONGESTION)
    node.script("203.0.113.2:5060", GatewayPlay.TIMEOUT)
    node.script("203.0.113.3:5060", GatewayPlay.ANSWER_THEN_BYE)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    execution = await finished(world, placed.id)
    assert execution.status is ExecutionStatus.COMPLETED
    assert [a.result for a in execution.attempts] == [
        AttemptResult.ROUTE_FAILURE, AttemptResult.ROUTE_FAILURE, AttemptResult.ANSWERED,
    ]  # fmt: skip
    assert [a.sip_code for a in execution.attempts] == [503, 408, None]
    assert [a.q850_cause for a in execution.attempts] == [34, 18, 0]
    assert [d[0] for d in node.dialled] == ["203.0.113.1:5060", "203.0.113.2:5060", "203.0.113.3:5060"]
    # The dialled number kept its '+': it travelled in a JSON body, not a query string.
    assert {d[1] for d in node.dialled} == {"+918800001234"}
    assert execution.gateway_id == execution.attempts[2].gateway_id
    assert execution.hangup_reason is not None
    assert execution.hangup_reason.text == "Call ended normally"
    assert trunk_id in {o[1].split("-")[1] for o in world.owned()}


async def test_busy_on_the_first_gateway_ends_the_call(world: AsteriskWorld) -> None:
    """A 486 is the callee's answer: the call is busy and no other gateway is dialled."""
    await trunk_and_number(world)
    world.nodes[0].script("203.0.113.1:5060", GatewayPlay.BUSY)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    execution = await finished(world, placed.id)
    assert execution.status is ExecutionStatus.BUSY
    assert len(execution.attempts) == 1
    assert [d[0] for d in world.nodes[0].dialled] == ["203.0.113.1:5060"]
    assert execution.attempts[0].sip_code == 486


async def test_an_unreachable_gateway_is_tried_last(world: AsteriskWorld) -> None:
    """After qualify reports the first gateway Unreachable, calls start on the second."""
    trunk_id, _ = await trunk_and_number(world)
    await world.watching()  # Asterisk reports contacts only to an application subscribed to its endpoints
    world.nodes[0].set_contact_status(f"byot-{trunk_id}-gw1", "Unreachable")
    await eventually(lambda: world.reported_down(trunk_id, 1))
    world.nodes[0].script("203.0.113.2:5060", GatewayPlay.ANSWER_THEN_BYE)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    assert (await finished(world, placed.id)).status is ExecutionStatus.COMPLETED
    assert [d[0] for d in world.nodes[0].dialled] == ["203.0.113.2:5060"]
    world.nodes[0].set_contact_status(f"byot-{trunk_id}-gw1", "Reachable")

    async def back() -> bool:
        return not await world.reported_down(trunk_id, 1)

    await eventually(back)


async def test_hanging_up_an_answered_call_completes_it(world: AsteriskWorld) -> None:
    """The answered channel goes to the agent runtime; our DELETE of it: cause 16, a completed execution."""
    await trunk_and_number(world)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)

    async def in_progress() -> bool:
        return (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.IN_PROGRESS

    await eventually(in_progress)
    assert [c.execution_id for c in world.outbound.calls] == [placed.id]
    assert world.outbound.calls[0].channel_id in world.nodes[0].channels  # the live channel, for the agent runtime
    await world.app.control.hang_up(ACCOUNT, placed.id)
    execution = await finished(world, placed.id)
    assert execution.status is ExecutionStatus.COMPLETED
    assert execution.attempts[0].q850_cause == 16


async def mapped(world: AsteriskWorld, **changes: Any) -> tuple[str, str]:
    trunk_id, number_id = await trunk_and_number(world, **changes)
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number_id})
    return trunk_id, number_id


@pytest.mark.parametrize("did", ["+919876543210", "919876543210"])
async def test_an_inbound_call_reaches_its_agent(world: AsteriskWorld, did: str) -> None:
    """A DID with or without '+' from a gateway: answered, handed to the agent, recorded as an execution."""
    trunk_id, number_id = await mapped(world)
    channel = world.nodes[0].inbound_call(did, "203.0.113.2")
    await eventually(lambda: len(world.handler.offers) == 1)
    offer = world.handler.offers[0]
    assert (offer.agent_id, offer.phone_number_id, offer.channel_id) == (AGENT, number_id, channel.id)

    async def answered() -> bool:
        execution = await world.app.calls.get(ACCOUNT, offer.execution_id)
        return execution.status is ExecutionStatus.IN_PROGRESS

    await eventually(answered)
    assert channel.sip_answer == 200
    world.nodes[0].remote_hang_up(channel.id)
    execution = await finished(world, offer.execution_id)
    assert execution.direction is Direction.INBOUND
    assert execution.status is ExecutionStatus.COMPLETED
    assert execution.trunk_id == trunk_id


async def refused(world: AsteriskWorld, did: str, source: str) -> int | None:
    channel = world.nodes[0].inbound_call(did, source)
    if channel.sip_answer is None:
        await eventually(lambda: channel.id in world.nodes[0].ended)
    assert not world.handler.offers
    return channel.sip_answer


async def test_unknown_and_unmapped_numbers_are_refused(world: AsteriskWorld) -> None:
    """An unknown DID is answered 404 (cause 1); a known one without an agent 480 (cause 20)."""
    world.nodes[0].add_file_object("endpoint", "anonymous", {"context": "byot-inbound", "allow": "(ulaw)"})
    await trunk_and_number(world)
    assert await refused(world, "+14155550100", "203.0.113.1") == 404
    assert await refused(world, "+919876543210", "203.0.113.1") == 480


async def test_an_inactive_number_is_refused(world: AsteriskWorld) -> None:
    """A mapped number that is not active answers 480."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, gateways=GATEWAYS))
    number = await GuideApi(world.app).numbers.add(
        ACCOUNT, created.trunk.id, {"phone_number": "+919876543210", "is_active": False}
    )
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
    assert await refused(world, "+919876543210", "203.0.113.1") == 480


async def test_inbound_disabled_is_refused_by_the_dialplan(world: AsteriskWorld) -> None:
    """With inbound_enabled false the endpoint's context refuses the call before the application: 403."""
    await mapped(world, inbound_enabled=False)
    assert await refused(world, "+919876543210", "203.0.113.1") == 403


async def test_a_call_from_an_unknown_source_is_refused(world: AsteriskWorld) -> None:
    """A source outside the gateways and ip_identifiers reaches only the anonymous endpoint, and is refused 403."""
    world.nodes[0].add_file_object("endpoint", "anonymous", {"context": "byot-inbound", "allow": "(ulaw)"})
    await mapped(world)
    assert await refused(world, "+919876543210", "192.0.2.77") == 403


async def test_an_inactive_trunk_refuses_its_calls(world: AsteriskWorld) -> None:
    """A deactivated trunk has no endpoint; through the anonymous endpoint the call is refused 403."""
    world.nodes[0].add_file_object("endpoint", "anonymous", {"context": "byot-inbound", "allow": "(ulaw)"})
    trunk_id, _ = await mapped(world)
    await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, {"is_active": False})
    assert await refused(world, "+919876543210", "203.0.113.1") in (403, 404)


async def test_with_one_node_down_calls_go_through_the_other(two_nodes: AsteriskWorld) -> None:
    """A node that refuses connections is skipped: the attempt is placed on the live node and completes."""
    world = two_nodes
    await trunk_and_number(world)
    await world.nodes[0].stop()
    world.nodes[1].script("203.0.113.1:5060", GatewayPlay.ANSWER_THEN_BYE)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    execution = await finished(world, placed.id)
    assert execution.status is ExecutionStatus.COMPLETED
    assert len(execution.attempts) == 1
    assert [d[0] for d in world.nodes[1].dialled] == ["203.0.113.1:5060"]


async def test_a_lost_originate_answer_is_checked_before_another_node_is_tried(two_nodes: AsteriskWorld) -> None:
    """A node that times out on the originate is asked whether the channel exists (its id is ours) before moving on."""
    world = two_nodes
    await trunk_and_number(world)
    for node in world.nodes:
        node.script("203.0.113.1:5060", GatewayPlay.ANSWER_THEN_BYE)
    # The first node in turn times out (the client waits 0.5 s), and never creates the channel.
    world.nodes[0].fail_next(1, status=500, stall=1.0, method="POST", path_contains="/channels")
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    execution = await finished(world, placed.id)
    assert execution.status is ExecutionStatus.COMPLETED
    assert [len(node.dialled) for node in world.nodes] == [0, 1]  # dialled once, on the other node
    asked = [
        r
        for node in world.nodes
        for r in node.requests
        if r == ("GET", f"/channels/{execution.attempts[0].channel_id}")
    ]
    assert len(asked) == 1


@pytest.mark.parametrize(("own", "rings_for"), [(None, 45), (20, 20)])
async def test_an_unanswered_call_rings_for_its_timeout_and_does_not_fail_over(own: int | None, rings_for: int) -> None:
    """The originate carries the call's ring timeout (else the trunk's); when it runs out: no-answer, one attempt."""
    async with asterisk_world(ring_scale=0.01) as world:
        await trunk_and_number(world, ring_timeout_seconds=45)
        world.nodes[0].script("203.0.113.1:5060", GatewayPlay.NO_ANSWER)
        call = GUIDE_CALL if own is None else {**GUIDE_CALL, "ring_timeout_seconds": own}
        placed = await GuideApi(world.app).calls.place(ACCOUNT, call)
        started = asyncio.get_running_loop().time()
        execution = await finished(world, placed.id)
        elapsed = asyncio.get_running_loop().time() - started
        assert execution.status is ExecutionStatus.NO_ANSWER
        assert len(execution.attempts) == 1  # no failover: the callee was reached and did not answer
        assert [d[0] for d in world.nodes[0].dialled] == ["203.0.113.1:5060"]
        channel = world.nodes[0].ended[execution.attempts[0].channel_id]
        assert channel.ring_timeout == rings_for
        assert rings_for * 0.01 * 0.8 <= elapsed <= rings_for * 0.01 + 1.0
        assert (execution.attempts[0].q850_cause, execution.attempts[0].sip_code) == (19, 480)
