"""Properties of an execution's state machine over arbitrary sequences of call events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain import call_flow, takeover
from byot_core.domain.call_flow import END_NOT_SEEN, Dial, ExecutionEvent, FailoverPlan, HandOver, HangUp
from byot_core.domain.dialplan import order_gateways
from byot_core.domain.events import AgentDisconnected, CallAnswered, CallEnded, CallRinging
from byot_core.domain.execution import AttemptResult, Direction, Execution
from byot_core.domain.status import ExecutionStatus, advance, can_move
from byot_core.domain.telephony import ChannelNow
from byot_core.domain.trunk import Gateway
from tests.properties.test_dialplan_props import endings
from tests.strategies import gateways

T0 = datetime(2025, 1, 1, tzinfo=UTC)

# Which channel an event is about: the current attempt's, an earlier attempt's, or one the execution never had.
targets = st.sampled_from(["current", "current", "current", "earlier", "unknown"])
# "answered" entered the library's application; "answered-outside" is the answer seen before it did (or never).
kinds = st.sampled_from(["ringing", "answered", "answered-outside", "ended", "agent-gone"])
steps = st.lists(st.tuples(kinds, targets, endings), max_size=30)


def outbound(plan: tuple[Gateway, ...]) -> Execution:
    return Execution(
        id="ex-1",
        account_id="acc",
        agent_id="agt",
        direction=Direction.OUTBOUND,
        status=ExecutionStatus.INITIATED,
        from_number="+919876543210",
        to_number="+918800001234",
        created_at=T0,
        updated_at=T0,
        gateway_plan=tuple(g.id for g in plan),
    )


def event_for(
    execution: Execution, kind: str, target: str, ending: tuple[bool, int | None, int | None]
) -> ExecutionEvent:
    attempts = execution.attempts
    if target == "current" and attempts:
        channel = attempts[-1].channel_id
    elif target == "earlier" and len(attempts) > 1:
        channel = attempts[0].channel_id
    else:
        channel = "never-seen"
    _, q850, sip = ending
    if kind == "ringing":
        return CallRinging(channel)
    if kind == "answered":
        return CallAnswered(channel)
    if kind == "answered-outside":
        return CallAnswered(channel, in_application=False)
    if kind == "agent-gone":
        return AgentDisconnected(channel)
    return CallEnded(channel, q850, sip)


@given(gateways(), steps)
def test_any_event_sequence_keeps_the_call_rules(
    gws: list[Gateway], script: list[tuple[str, str, tuple[bool, int | None, int | None]]]
) -> None:
    """Whatever arrives: no callee dialled twice, no gateway tried twice, only route failures move on, final stays."""
    plan = order_gateways(gws)
    channels = (f"ch-{n}" for n in itertools.count(1))
    failover = FailoverPlan(plan, "+918800001234")
    first = call_flow.start(outbound(plan), failover, next(channels), T0)
    assert [type(a) for a in first.actions] == [Dial]
    execution, handed_over = first.execution, 0
    for tick, (kind, target, ending) in enumerate(script, start=1):
        before = execution
        event = event_for(execution, kind, target, ending)
        step = call_flow.apply(
            execution, event, T0 + timedelta(seconds=tick), plan=failover, new_channel_id=lambda: next(channels)
        )
        execution = step.execution
        dials = [a for a in step.actions if isinstance(a, Dial)]
        handed_over += sum(isinstance(a, HandOver) for a in step.actions)
        if any(isinstance(a, HandOver) for a in step.actions):
            # Only the call's entry into the application hands it over: an answer alone never does.
            assert isinstance(event, CallAnswered)
            assert event.in_application
        if not step.changed:
            assert execution == before
        if before.status.is_terminal:
            assert execution.status is before.status
        if dials:
            # Only the current attempt's route failure moves on, to one new attempt on the dialled channel.
            assert len(dials) == 1
            assert isinstance(event, CallEnded)
            assert before.attempts[-1].channel_id == event.channel_id
            assert execution.attempts[-2].result is AttemptResult.ROUTE_FAILURE
            assert execution.attempts[-1].channel_id == dials[0].channel_id
        else:
            assert len(execution.attempts) == len(before.attempts)
    tried = [a.gateway_id for a in execution.attempts]
    assert len(tried) == len(set(tried))
    assert tried == [g.id for g in plan[: len(tried)]]
    # Every attempt before the last ended as a route failure without ringing: the callee was reached at most once.
    for earlier in execution.attempts[:-1]:
        assert earlier.result is AttemptResult.ROUTE_FAILURE
        assert not earlier.reached_ringing
        assert not earlier.answered
    assert handed_over <= 1
    if execution.status.is_terminal:
        assert execution.ended_at is not None
        assert execution.hangup_reason is not None


@given(gateways(), st.lists(endings, min_size=8, max_size=8))
def test_route_failures_walk_the_plan_until_an_answer_or_the_end(
    gws: list[Gateway], outcomes: list[tuple[bool, int | None, int | None]]
) -> None:
    """Ending every attempt in turn: the call tries gateways in order and ends once, with a final status."""
    plan = order_gateways(gws)
    channels = (f"ch-{n}" for n in itertools.count(1))
    failover = FailoverPlan(plan, "+918800001234")
    execution = call_flow.start(outbound(plan), failover, next(channels), T0).execution
    for rang, q850, sip in outcomes:
        if execution.status.is_terminal:
            break
        channel = execution.attempts[-1].channel_id
        if rang:
            execution = call_flow.apply(execution, CallRinging(channel), T0).execution
        ended = CallEnded(channel, q850, sip)
        execution = call_flow.apply(
            execution, ended, T0, plan=failover, new_channel_id=lambda: next(channels)
        ).execution
    assert execution.status.is_terminal
    last = execution.attempts[-1]
    assert last.result is not AttemptResult.ROUTE_FAILURE or len(execution.attempts) == len(plan)


@given(
    gateways(),
    steps,
    st.sampled_from(list(ChannelNow)),
    st.sampled_from(list(Direction)),
    st.booleans(),
)
def test_a_takeover_finishes_what_ended_and_never_goes_back(
    gws: list[Gateway],
    script: list[tuple[str, str, tuple[bool, int | None, int | None]]],
    channel: ChannelNow,
    direction: Direction,
    dialled: bool,
) -> None:
    """Any execution, any channel state: a gone channel ends the call, once; nothing final changes; no callee twice."""
    plan = order_gateways(gws)
    channels = (f"ch-{n}" for n in itertools.count(1))
    failover = FailoverPlan(plan, "+918800001234")
    execution = attrs.evolve(outbound(plan), direction=direction)
    if dialled:
        execution = call_flow.start(execution, failover, next(channels), T0).execution
    for tick, (kind, target, ending) in enumerate(script, start=1):
        event = event_for(execution, kind, target, ending)
        now = T0 + timedelta(seconds=tick)
        step = call_flow.apply(execution, event, now, plan=failover, new_channel_id=lambda: next(channels))
        execution = step.execution
    later = T0 + timedelta(hours=1)
    step = takeover.adopt(execution, channel, later)
    taken = step.execution
    assert not any(isinstance(a, Dial) for a in step.actions)  # a takeover never dials anyone
    assert len(taken.attempts) == len(execution.attempts)
    if execution.status.is_terminal:
        assert not step.changed
        assert taken == execution
        return
    assert taken.status is execution.status or can_move(execution.status, taken.status)
    inbound_waiting = direction is Direction.INBOUND and channel is ChannelNow.STARTING and execution.attempts
    if channel is ChannelNow.GONE or inbound_waiting or not execution.attempts:
        assert taken.status.is_terminal
        assert taken.ended_at == later
        assert taken.hangup_reason is not None
        assert taken.hangup_reason.cause_name == END_NOT_SEEN
        answered = bool(execution.attempts) and execution.attempts[-1].answered
        expected = ExecutionStatus.COMPLETED if answered and not inbound_waiting else ExecutionStatus.FAILED
        assert taken.status is advance(execution.status, expected)
        # Once finished, the takeover does nothing more.
        assert not takeover.adopt(taken, channel, later).changed
    handed_over = channel is ChannelNow.ANSWERED and _first_take(execution)
    assert [type(a) for a in step.actions] == ([HangUp] if inbound_waiting else [HandOver] if handed_over else [])


def _first_take(execution: Execution) -> bool:
    return (
        execution.direction is Direction.OUTBOUND
        and bool(execution.attempts)
        and not execution.attempts[-1].taken
        and not execution.attempts[-1].ended_at
    )


@given(gateways(), endings, st.booleans())
def test_an_answered_call_ends_completed_only_if_it_reached_the_library(
    plan: list[Gateway], ending: tuple[bool, int | None, int | None], reached: bool
) -> None:
    """Answered, then ended with any cause: completed once it entered an application, else failed as dropped."""
    plan_t = tuple(order_gateways(plan))
    ids = (f"ch-{n}" for n in itertools.count())
    step = call_flow.start(outbound(plan_t), FailoverPlan(plan_t, "+918800001234"), next(ids), T0)
    channel = step.execution.attempts[-1].channel_id
    execution = call_flow.apply(step.execution, CallAnswered(channel, in_application=False), T0).execution
    if reached:
        execution = call_flow.apply(execution, CallAnswered(channel, in_application=True), T0).execution
    _, q850, sip = ending
    ended = call_flow.apply(execution, CallEnded(channel, q850, sip), T0).execution
    assert ended.hangup_reason is not None
    if reached:
        assert ended.status is ExecutionStatus.COMPLETED
    else:
        assert ended.status is ExecutionStatus.FAILED
        assert ended.hangup_reason.cause_name == call_flow.NOT_TAKEN


reports = st.tuples(st.none() | st.sampled_from(["id-a", "id-b"]), st.none() | st.sampled_from(["ulaw", "alaw"]))


@given(gateways(), st.lists(st.tuples(kinds, targets, endings, reports), max_size=20))
def test_each_leg_keeps_the_first_call_id_and_codec_reported_for_it(
    gws: list[Gateway],
    script: list[tuple[str, str, tuple[bool, int | None, int | None], tuple[str | None, str | None]]],
) -> None:
    """Whatever events follow, a leg keeps the first Call-ID and codec reported for its channel.

    A codec comes only with an answer; an event that changes nothing else still records them, as a change.
    """
    plan = order_gateways(gws)
    channels = (f"ch-{n}" for n in itertools.count(1))
    failover = FailoverPlan(plan, "+918800001234")
    execution = call_flow.start(outbound(plan), failover, next(channels), T0).execution
    first: dict[str, tuple[str | None, str | None]] = {}
    for tick, (kind, target, ending, (call_id, codec)) in enumerate(script, start=1):
        event = event_for(execution, kind, target, ending)
        if isinstance(event, CallRinging | CallEnded):
            event = attrs.evolve(event, sip_call_id=call_id)
        elif isinstance(event, CallAnswered):
            event = attrs.evolve(event, sip_call_id=call_id, codec=codec)
        known = first.get(event.channel_id, (None, None))
        reported_codec = event.codec if isinstance(event, CallAnswered) else None
        reported_id = event.sip_call_id if isinstance(event, CallRinging | CallAnswered | CallEnded) else None
        first[event.channel_id] = (known[0] or reported_id, known[1] or reported_codec)
        before = execution
        step = call_flow.apply(
            execution, event, T0 + timedelta(seconds=tick), plan=failover, new_channel_id=lambda: next(channels)
        )
        execution = step.execution
        assert step.changed or execution == before
        for attempt in execution.attempts:
            assert (attempt.sip_call_id, attempt.codec) == first.get(attempt.channel_id, (None, None))
