"""The storage contract's checks of executions: stored, found by any channel, listed by agent."""

from __future__ import annotations

from datetime import timedelta

import attrs

from byot_core.domain.execution import Attempt, Direction, Execution
from byot_core.domain.media import MediaProtocol, MediaStats
from byot_core.domain.status import ExecutionStatus
from byot_core.testing.samples import T0, StorageFactory

__all__ = ["executions_by_channel_and_agent", "leases_are_claimed_once_and_calls_adopted"]


def _execution(status: ExecutionStatus = ExecutionStatus.INITIATED, instance_id: str | None = None) -> Execution:
    """An outbound execution ``e1`` with one attempt on channel ``c1``."""
    return Execution(
        id="e1",
        account_id="acct-1",
        agent_id="agent-1",
        direction=Direction.OUTBOUND,
        status=status,
        from_number="+15550000001",
        to_number="+15550000002",
        attempts=(Attempt(channel_id="c1", started_at=T0),),
        created_at=T0,
        updated_at=T0,
        instance_id=instance_id,
    )


async def executions_by_channel_and_agent(new: StorageFactory) -> None:
    """Executions are found by any attempt's channel, listed per agent newest first, and counted per trunk.

    They keep their media figures; the count per trunk is of those in progress (not yet ended).
    """
    storage = await new()
    base = _execution()
    second = attrs.evolve(base, id="e2", created_at=T0 + timedelta(seconds=1), attempts=())
    async with storage.unit_of_work() as uow:
        await uow.executions.add(base)
        await uow.executions.add(second)
        await uow.commit()
    media = MediaStats(MediaProtocol.TWILIO, "caller-left", frames_to_agent=250, frames_to_caller=120, marks=2,
                       flushes=1, dtmf=3, late_frames=4, added_latency_ms=0.25, max_added_latency_ms=3.5)  # fmt: skip
    leg = Attempt(channel_id="c2", started_at=T0, sip_call_id="a84b4c76e66710@pc33.example.com", codec="alaw")
    retried = attrs.evolve(base, attempts=(*base.attempts, leg), media=media)
    async with storage.unit_of_work() as uow:
        await uow.executions.update(retried)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.executions.find_by_channel("c2") == retried
        assert await uow.executions.find_by_channel("c1") == retried
        assert await uow.executions.find_by_channel("nope") is None
        assert await uow.executions.get("acct-2", "e1") is None
        listed = [e.id for e in await uow.executions.list_for_agent("acct-1", "agent-1")]
        assert listed == ["e2", "e1"], listed
        assert list(await uow.executions.list_for_agent("acct-2", "agent-1")) == []
    # Calls in progress on a trunk: executions on it not yet ended, counted in writing and reading units of work.
    live = [attrs.evolve(base, id=f"live-{i}", trunk_id="trunk-1", attempts=()) for i in range(3)]
    async with storage.unit_of_work() as uow:
        for execution in live:
            await uow.executions.add(execution)
        await uow.executions.add(attrs.evolve(base, id="elsewhere", trunk_id="trunk-2", attempts=()))
        assert await uow.executions.live_on_trunk("trunk-1") == 3
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await uow.executions.update(attrs.evolve(live[0], ended_at=T0, status=ExecutionStatus.COMPLETED))
        await uow.commit()
    async with storage.unit_of_work(read_only=True) as uow:
        assert await uow.executions.live_on_trunk("trunk-1") == 2
        assert await uow.executions.live_on_trunk("trunk-2") == 1
        assert await uow.executions.live_on_trunk("trunk-3") == 0


async def leases_are_claimed_once_and_calls_adopted(new: StorageFactory) -> None:
    """A lease that ran out is claimed by one caller only; its instance's calls not yet ended move to the claimer."""
    storage = await new()
    base = _execution(status=ExecutionStatus.RINGING, instance_id="dead")
    ended = attrs.evolve(base, id="e2", attempts=(), status=ExecutionStatus.COMPLETED, ended_at=T0)
    others = attrs.evolve(base, id="e3", attempts=(Attempt(channel_id="c3", started_at=T0),), instance_id="alive")
    async with storage.unit_of_work() as uow:
        for execution in (base, ended, others):
            await uow.executions.add(execution)
        await uow.instances.renew("dead", T0 + timedelta(seconds=10))
        await uow.instances.renew("alive", T0 + timedelta(seconds=10))
        await uow.instances.renew("alive", T0 + timedelta(seconds=30))  # renewed: held longer
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert list(await uow.instances.claim_expired(T0 + timedelta(seconds=5))) == [], "a lease claimed early"
        assert list(await uow.instances.claim_expired(T0 + timedelta(seconds=20))) == ["dead"]
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert list(await uow.instances.claim_expired(T0 + timedelta(seconds=20))) == [], "a lease claimed twice"
        adopted = await uow.executions.adopt("dead", "heir")
        await uow.commit()
    assert [(e.id, e.instance_id) for e in adopted] == [("e1", "heir")], "only calls not yet ended are adopted"
    async with storage.unit_of_work(read_only=True) as uow:
        assert await uow.executions.find_by_channel("c1") == attrs.evolve(base, instance_id="heir")
        stayed = await uow.executions.find_by_channel("c3")
        assert stayed is not None
        assert stayed.instance_id == "alive", "another instance's call was adopted"
        kept = await uow.executions.get("acct-1", "e2")
        assert kept is not None
        assert kept.instance_id == "dead", "an ended call was adopted"
    async with storage.unit_of_work() as uow:
        assert list(await uow.executions.adopt("dead", "second-heir")) == [], "calls adopted twice"
