"""Properties of a bridged transfer's state machine over arbitrary sequences of events of the call and its target."""

from __future__ import annotations

import itertools
from datetime import timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain import call_flow, transfer_flow
from byot_core.domain.call_actions import Dial, FailoverPlan, HangUp, Join
from byot_core.domain.call_flow import ExecutionEvent
from byot_core.domain.events import AgentDisconnected, CallAnswered, CallEnded, CallRinging
from byot_core.domain.execution import Attempt, Execution
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import TransferStatus, transfer_request
from byot_core.domain.trunk import Gateway
from tests.properties.test_call_flow_props import T0, outbound
from tests.properties.test_dialplan_props import endings
from tests.strategies import gateways

# Whose event: the caller's channel, the target's current leg, an earlier leg of the target.
whose = st.sampled_from(["caller", "target", "target", "target", "earlier-leg"])
kinds = st.sampled_from(["ringing", "answered", "answered-outside", "ended", "agent-gone"])
steps = st.lists(st.tuples(kinds, whose, endings), max_size=25)


def answered_call(plan: tuple[Gateway, ...]) -> Execution:
    attempt = Attempt(channel_id="caller", started_at=T0, gateway_id=plan[0].id, reached_ringing=True, answered=True)
    return attrs.evolve(outbound(plan), status=ExecutionStatus.IN_PROGRESS, attempts=(attempt,), answered_at=T0)


@given(gateways(), steps)
def test_a_transfer_never_leaves_the_caller_without_an_agent_or_the_target_without_a_caller(
    gws: list[Gateway], script: list[tuple[str, str, tuple[bool, int | None, int | None]]]
) -> None:
    """Joined at most once, on the current leg's entry into the application; the caller hung up only once joined.

    (Or by its agent, before.) No gateway is dialled twice; a final transfer status stays; the caller's end hangs
    up a target still on the line.
    """
    plan = tuple(gws)
    channels = (f"leg-{n}" for n in itertools.count(1))
    failover = FailoverPlan(plan, "+14155550199")
    execution = answered_call(plan)
    started = transfer_flow.begin(execution, transfer_request("+14155550199"), failover, next(channels), T0)
    assert [type(a) for a in started.actions] == [Dial]
    execution, joins = started.execution, 0
    for tick, (kind, who, ending) in enumerate(script, start=1):
        before = execution
        legs = before.transfers[0].legs
        channel = {"caller": "caller", "target": legs[-1].channel_id, "earlier-leg": legs[0].channel_id}[who]
        _, q850, sip = ending
        events: dict[str, ExecutionEvent] = {
            "ringing": CallRinging(channel),
            "answered": CallAnswered(channel),
            "answered-outside": CallAnswered(channel, in_application=False),
            "ended": CallEnded(channel, q850, sip),
            "agent-gone": AgentDisconnected(channel),
        }
        event = events[kind]
        now = T0 + timedelta(seconds=tick)
        step = call_flow.apply(execution, event, now, plan=failover, new_channel_id=lambda: next(channels))
        execution = step.execution
        transfer, was = execution.transfers[0], before.transfers[0]
        if was.status.is_final:
            assert transfer.status is was.status
        for action in step.actions:
            if isinstance(action, Join):
                joins += 1
                assert isinstance(event, CallAnswered)
                assert event.in_application
                assert event.channel_id == was.legs[-1].channel_id
                assert action == Join("caller", event.channel_id)
            if isinstance(action, HangUp) and action.channel_id == "caller":
                # The caller loses its agent only to the target (joined), or when its agent left before the join.
                assert was.answered_at is not None or isinstance(event, AgentDisconnected)
            if isinstance(action, Dial):
                assert action.beside == "caller"
        if isinstance(event, CallEnded) and channel == "caller" and not before.status.is_terminal:
            # The caller's end leaves no target ringing or talking alone.
            live = [leg.channel_id for leg in was.legs if leg.ended_at is None]
            hung = [a.channel_id for a in step.actions if isinstance(a, HangUp)]
            assert set(live) <= set(hung)
            assert execution.transfers[0].status.is_final
    assert joins <= 1
    tried = [leg.gateway_id for leg in execution.transfers[0].legs]
    assert len(tried) == len(set(tried))
    if execution.transfers[0].status is TransferStatus.COMPLETED:
        assert execution.transfers[0].answered_at is not None
