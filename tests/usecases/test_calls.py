"""Outbound calls: checks before dialling, failover across gateways, statuses and hangup reasons."""

from __future__ import annotations

from typing import Any

import pytest

from byot_core import AgentNotFound, CallRefused, ExecutionNotFound
from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.events import CallAnswered, CallEnded, CallRinging
from byot_core.domain.execution import AttemptResult, Direction
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, OTHER_ACCOUNT, USERPASS_TRUNK, World, body

THREE_GATEWAYS = [
    {"gateway_address": "gw3.example.com", "priority": 3},
    {"gateway_address": "gw1.example.com", "priority": 1},
    {"gateway_address": "gw2.example.com", "priority": 2},
]


async def trunk_with_number(world: World, **changes: Any) -> str:
    trunk_id = (
        await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, gateways=THREE_GATEWAYS, **changes))
    ).trunk.id
    await GuideApi(world.app).numbers.add(ACCOUNT, trunk_id, {"phone_number": "919876543210"})
    return trunk_id


async def test_failover_to_the_third_gateway(world: World) -> None:
    """503 on the first, timeout on the second, answer on the third: one completed call, three attempts."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.CONGESTION)
    world.telephony.script("gw2.example.com", Outcome.TIMEOUT)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    assert placed.status is ExecutionStatus.INITIATED
    await world.settle()
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert execution.status is ExecutionStatus.COMPLETED
    assert [p.request.gateway.address for p in world.telephony.placed] == [
        "gw1.example.com", "gw2.example.com", "gw3.example.com",
    ]  # fmt: skip
    assert [a.result for a in execution.attempts] == [
        AttemptResult.ROUTE_FAILURE, AttemptResult.ROUTE_FAILURE, AttemptResult.ANSWERED,
    ]  # fmt: skip
    assert [a.sip_code for a in execution.attempts[:2]] == [503, 408]
    assert execution.gateway_id == execution.attempts[2].gateway_id
    assert execution.hangup_reason is not None
    assert execution.hangup_reason.text == "Call ended normally"
    assert execution.answered_at is not None
    assert execution.ended_at is not None


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [
        (Outcome.BUSY, ExecutionStatus.BUSY, "Call recipient was busy"),
        (Outcome.NO_ANSWER, ExecutionStatus.NO_ANSWER, "Call unanswered"),
        (Outcome.REJECT, ExecutionStatus.FAILED, "Call recipient rejected"),
        (Outcome.INVALID_NUMBER, ExecutionStatus.FAILED, "Call recipient number invalid"),
    ],
)
async def test_final_answers_never_fail_over(
    world: World, outcome: Outcome, status: ExecutionStatus, reason: str
) -> None:
    """Busy, no answer, rejected and invalid number end the call on the first gateway."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", outcome)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert len(world.telephony.placed) == 1
    assert (execution.status, execution.hangup_reason and execution.hangup_reason.text) == (status, reason)


async def test_every_gateway_failing_fails_the_call(world: World) -> None:
    """When every gateway fails to route, the call fails with the last cause."""
    await trunk_with_number(world)
    world.telephony.default_outcome = Outcome.CONGESTION
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert len(execution.attempts) == 3
    assert execution.status is ExecutionStatus.FAILED
    assert execution.hangup_reason is not None
    assert execution.hangup_reason.text == "Temporary network failure"


async def test_unreachable_telephony_fails_the_call_without_losing_it(world: World) -> None:
    """If telephony cannot take the originate at all, every gateway is tried and the call is recorded failed."""
    await trunk_with_number(world)
    world.telephony.down = True
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    assert placed.status is ExecutionStatus.FAILED
    assert len(placed.attempts) == 3


@pytest.mark.parametrize(("plus", "dialled"), [(True, "+918800001234"), (False, "918800001234")])
async def test_dialled_number_and_caller_id(world: World, plus: bool, dialled: str) -> None:
    """The Request-URI number follows outbound_leading_plus_enabled; caller id is the from_number in E.164."""
    await trunk_with_number(world, outbound_leading_plus_enabled=plus)
    await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, recipient={"phone_number": "918800001234"}))
    request = world.telephony.placed[0].request
    assert (request.dialled, request.caller_id) == (dialled, "+919876543210")


async def test_balance_low_dials_nothing(world: World) -> None:
    """A refused balance check records a balance-low execution and places no call."""
    await trunk_with_number(world)
    world.balance.allowed = False
    execution = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    assert execution.status is ExecutionStatus.BALANCE_LOW
    assert execution.attempts == ()
    assert world.telephony.placed == []


async def test_refusals_before_dialling(world: World) -> None:
    """Unknown agents, agents not on sip-trunk, and unregistered or inactive from_numbers are refused."""
    trunk_id = await trunk_with_number(world)
    with pytest.raises(AgentNotFound):
        await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, agent_id="agt-unknown"))
    world.agents.register(ACCOUNT, "agt-plivo", telephony_provider="plivo")
    with pytest.raises(CallRefused) as not_sip:
        await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, agent_id="agt-plivo"))
    assert not_sip.value.code == "agent_not_sip_trunk"
    with pytest.raises(CallRefused) as unregistered:
        await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, from_number="+15550000000"))
    assert unregistered.value.code == "from_number_not_registered"
    world.agents.register(OTHER_ACCOUNT, "agt-x", telephony_provider="sip-trunk")
    with pytest.raises(CallRefused):
        await GuideApi(world.app).calls.place(OTHER_ACCOUNT, body(GUIDE_CALL, agent_id="agt-x"))
    await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, {"is_active": False})
    with pytest.raises(CallRefused):
        await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    assert world.telephony.placed == []


async def test_duplicate_and_late_events_change_nothing(world: World) -> None:
    """Repeated and out-of-order events never move a status backwards or revive an ended call."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    channel = placed.attempts[0].channel_id
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.IN_PROGRESS
    await world.app.events.handle(CallRinging(channel))
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.IN_PROGRESS
    await world.app.control.hang_up(ACCOUNT, placed.id)
    await world.settle()
    done = await world.app.calls.get(ACCOUNT, placed.id)
    assert done.status is ExecutionStatus.COMPLETED
    for late in (CallEnded(channel, 17, 486), CallAnswered(channel), CallRinging(channel)):
        await world.app.events.handle(late)
    assert await world.app.calls.get(ACCOUNT, placed.id) == done
    await world.app.events.handle(CallEnded("unknown-channel", 16))


async def test_executions_are_listed_per_agent_newest_first(world: World) -> None:
    """An agent's executions, inbound and outbound, newest first; other accounts see none."""
    await trunk_with_number(world)
    first = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    world.clock.advance(5)
    second = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    listed = await world.app.calls.list_for_agent(ACCOUNT, AGENT)
    assert [e.id for e in listed] == [second.id, first.id]
    assert {e.direction for e in listed} == {Direction.OUTBOUND}
    with pytest.raises(ExecutionNotFound):
        await world.app.calls.get(OTHER_ACCOUNT, first.id)
    with pytest.raises(AgentNotFound):
        await world.app.calls.list_for_agent(OTHER_ACCOUNT, AGENT)


async def test_event_stream_runs_the_same_flow(world: World) -> None:
    """The long-running event loop handles what deliver() handles in tests."""
    import asyncio

    await trunk_with_number(world)
    task = asyncio.create_task(world.app.events.run())
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    deadline = asyncio.get_running_loop().time() + 5
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.005)
        if (await world.app.calls.get(ACCOUNT, placed.id)).status.is_terminal:
            break
    task.cancel()
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.COMPLETED


async def test_an_answered_call_is_handed_to_the_outbound_handler(world: World) -> None:
    """Once the callee answers (after a failover), the agent runtime gets the live channel, once."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.CONGESTION)
    world.telephony.script("gw2.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert execution.status is ExecutionStatus.IN_PROGRESS
    assert len(world.outbound.calls) == 1
    call = world.outbound.calls[0]
    assert (call.execution_id, call.agent_id, call.channel_id) == (placed.id, AGENT, execution.attempts[1].channel_id)
    assert (call.from_number, call.to_number, call.gateway_id) == (
        "+919876543210", "+918800001234", execution.attempts[1].gateway_id,
    )  # fmt: skip
    await world.app.events.handle(CallAnswered(call.channel_id))  # a repeated event hands nothing over again
    assert len(world.outbound.calls) == 1


async def test_a_failing_outbound_handler_ends_the_call(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the agent runtime cannot take the call, the channel is hung up (cause 41) rather than left silent."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)

    async def refuse(_: object) -> None:
        raise RuntimeError("no agent worker free")

    monkeypatch.setattr(world.outbound, "on_outbound_answered", refuse)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert world.telephony.hangups[execution.attempts[0].channel_id] == 41
    assert execution.status is ExecutionStatus.COMPLETED


async def test_a_gateway_reported_down_is_tried_last(world: World) -> None:
    """Health reports reorder the plan: the priority-1 gateway, reported unreachable, is dialled after the others."""
    trunk_id = await trunk_with_number(world)
    trunk = (await world.app.trunks.get(ACCOUNT, trunk_id)).trunk
    first = next(g for g in trunk.gateways if g.address == "gw1.example.com")
    world.telephony.set_reachable(trunk_id, first.id, reachable=False)
    world.telephony.script("gw2.example.com", Outcome.CONGESTION)
    world.telephony.script("gw3.example.com", Outcome.CONGESTION)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    assert [p.request.gateway.address for p in world.telephony.placed] == [
        "gw2.example.com", "gw3.example.com", "gw1.example.com",
    ]  # fmt: skip
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.COMPLETED


@pytest.mark.parametrize(("own", "expected"), [(None, 35), (20, 20)])
async def test_every_attempt_rings_for_the_calls_timeout_or_the_trunks(
    world: World, own: int | None, expected: int
) -> None:
    """Failover attempts ring for the same timeout: the call's own, else the trunk's; unanswered ends no-answer."""
    await trunk_with_number(world, ring_timeout_seconds=35)
    world.telephony.script("gw1.example.com", Outcome.CONGESTION)
    world.telephony.script("gw2.example.com", Outcome.NO_ANSWER)
    call = GUIDE_CALL if own is None else {**GUIDE_CALL, "ring_timeout_seconds": own}
    placed = await GuideApi(world.app).calls.place(ACCOUNT, call)
    await world.settle()
    assert [p.request.timeout_seconds for p in world.telephony.placed] == [expected, expected]
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert execution.status is ExecutionStatus.NO_ANSWER
    assert len(execution.attempts) == 2
