"""A trunk's channels and pacing bound its calls: both ways, bursts spread then refused, failover in its slots."""

from __future__ import annotations

from typing import Any

import pytest

from byot_core import CallsPaced, ChannelsFull
from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.routing import Rejection, RejectReason, Route
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, World
from tests.usecases.test_calls import trunk_with_number


async def test_a_trunks_channels_bound_its_calls_in_progress_both_ways(world: World) -> None:
    """channels=2: a third call, either way, is refused (outbound before dialling, inbound with 486) until one ends.

    Nothing is recorded for the refused outbound call; explain says which rule refused the inbound one.
    """
    trunk_id = await trunk_with_number(world, channels=2, inbound_enabled=True)
    world.telephony.default_outcome = Outcome.ANSWER_AND_HOLD
    first = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    with pytest.raises(ChannelsFull) as refused:
        await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    assert refused.value.code == "trunk_channels_full"
    assert len(world.telephony.placed) == 2
    assert len(await world.app.calls.list_for_agent(ACCOUNT, AGENT)) == 2

    number = (await world.app.numbers.list(ACCOUNT, trunk_id))[0]
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
    decision = await world.app.inbound.explain("+919876543210")
    assert isinstance(decision, Rejection)
    assert decision.reason is RejectReason.CHANNELS_FULL
    assert (decision.sip_code, decision.q850_cause) == (486, 17)
    assert "[FAIL] channel free: all 2 of the trunk's channels are in use" in decision.explain()
    channel = world.telephony.incoming_call("+919876543210")
    await world.settle()
    assert world.telephony.hangups[channel] == 17
    assert not world.handler.offers

    world.telephony.remote_hang_up(first.attempts[0].channel_id)
    await world.settle()
    freed = await world.app.inbound.explain("+919876543210")
    assert isinstance(freed, Route)
    assert "[ok] channel free: 1 of the trunk's 2 channels in use" in freed.explain()
    await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)


def crowded_seconds(starts: list[Any], per_second: int) -> list[Any]:
    """The attempt start times that open a one-second window holding more than ``per_second`` attempts."""
    ordered = sorted(starts)
    return [s for i, s in enumerate(ordered) if sum(1 for t in ordered[i:] if (t - s).total_seconds() < 1) > per_second]


async def test_a_burst_on_a_paced_trunk_is_spread_then_refused(world: World) -> None:
    """calls_per_second=2: a burst of 25 gets slots half a second apart up to the 10 s wait; the rest are refused."""
    await trunk_with_number(world, calls_per_second=2)
    placed = [await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL) for _ in range(21)]  # slots at 0, 0.5, … 10 s
    for _ in range(4):
        with pytest.raises(CallsPaced) as refused:
            await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
        assert refused.value.code == "trunk_calls_per_second_exceeded"
    starts = [p.attempts[0].started_at for p in placed]
    assert not crowded_seconds(starts, 2)
    assert (max(starts) - min(starts)).total_seconds() == 10
    assert len(await world.app.calls.list_for_agent(ACCOUNT, AGENT)) == 21  # the refused left nothing behind
    await world.app.deps.background.cancel()


async def test_failover_attempts_wait_for_their_slot(world: World) -> None:
    """calls_per_second=1: the failover after a 503 is dialled a second after the first attempt, not at once."""
    await trunk_with_number(world, calls_per_second=1)
    world.telephony.script("gw1.example.com", Outcome.CONGESTION)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    assert [p.request.gateway.address for p in world.telephony.placed] == ["gw1.example.com"]
    await world.app.deps.background.drain()  # the paced failover, a second later
    await world.settle()
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    assert [p.request.gateway.address for p in world.telephony.placed] == ["gw1.example.com", "gw2.example.com"]
    gap = execution.attempts[1].started_at - execution.attempts[0].started_at
    assert gap.total_seconds() == 1
