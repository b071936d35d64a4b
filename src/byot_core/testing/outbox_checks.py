"""The storage contract's checks of the status callbacks' outbox and of the accounts' callback secrets."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import attrs

from byot_core.domain.callbacks import CallbackEvent, EventState, SigningKeys
from byot_core.domain.secret import SealedSecret
from byot_core.testing.samples import T0, StorageFactory

__all__ = ["outbox_claims_in_order_once", "outbox_claims_race_to_one_claimer"]


def _event(execution: str, sequence: int, account: str = "acct-1") -> CallbackEvent:
    return CallbackEvent(
        id=f"{execution}-{sequence}",
        account_id=account,
        execution_id=execution,
        sequence=sequence,
        url="https://receiver.example/hook",
        body=f'{{"sequence":{sequence}}}',
        created_at=T0,
        next_attempt_at=T0,
    )


async def outbox_claims_in_order_once(new: StorageFactory) -> None:
    """A call's events are claimed one at a time, in order; a held event is not claimed again until its lease ends."""
    storage = await new()
    async with storage.unit_of_work() as uow:
        assert await uow.outbox.next_sequence("e1") == 1
        await uow.outbox.add([_event("e1", 1), _event("e1", 2), _event("e2", 1)])
        assert await uow.outbox.next_sequence("e1") == 3
        await uow.accounts.set_callback_keys("acct-1", SigningKeys(SealedSecret("sealed-1")))
        await uow.commit()
    lease = T0 + timedelta(seconds=30)
    async with storage.unit_of_work() as uow:
        claimed = await uow.outbox.claim(T0, lease, 10)
        assert sorted(e.id for e in claimed) == ["e1-1", "e2-1"], "a call's second event was claimed before its first"
        assert await uow.outbox.claim(T0, lease, 10) == [], "a held event was claimed twice"
        assert await uow.accounts.callback_keys("acct-1") == SigningKeys(SealedSecret("sealed-1"))
        assert await uow.accounts.callback_keys("acct-2") is None
        rotated = SigningKeys(SealedSecret("sealed-2"), SealedSecret("sealed-1"), T0)
        await uow.accounts.set_callback_keys("acct-1", rotated)
        assert await uow.accounts.callback_keys("acct-1") == rotated
        await uow.commit()
    first = next(e for e in claimed if e.id == "e1-1")
    async with storage.unit_of_work() as uow:
        delivered = attrs.evolve(first, attempts=1, state=EventState.DELIVERED, delivered_at=T0)
        await uow.outbox.record(delivered)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        (second,) = await uow.outbox.claim(T0, lease, 10)
        assert second.id == "e1-2"
        again = await uow.outbox.claim(lease, lease + timedelta(seconds=30), 10)
        assert sorted(e.id for e in again) == ["e1-2", "e2-1"], "an expired lease did not free its event"
        await uow.commit()
    async with storage.unit_of_work(read_only=True) as uow:
        events = await uow.outbox.for_execution("e1")
        assert [(e.sequence, e.state, e.attempts) for e in events] == [
            (1, EventState.DELIVERED, 1), (2, EventState.PENDING, 0),
        ]  # fmt: skip
        assert await uow.outbox.backlog(T0 + timedelta(seconds=5)) == (2, 5.0)
    async with storage.unit_of_work() as uow:
        assert await uow.outbox.purge(T0) == 0, "an event written at the cut-off was purged"
        assert await uow.outbox.purge(T0 + timedelta(seconds=1)) == 1, "only the delivered event goes"
        await uow.commit()
    async with storage.unit_of_work(read_only=True) as uow:
        assert [e.sequence for e in await uow.outbox.for_execution("e1")] == [2]


async def outbox_claims_race_to_one_claimer(new: StorageFactory) -> None:
    """Ten claimers at once share twenty calls' events: each event goes to exactly one of them."""
    storage = await new()
    async with storage.unit_of_work() as uow:
        await uow.outbox.add([_event(f"e{i}", 1) for i in range(20)])
        await uow.commit()

    async def claim() -> list[str]:
        async with storage.unit_of_work() as uow:
            taken = await uow.outbox.claim(T0, T0 + timedelta(seconds=30), 3)
            await uow.commit()
        return [e.id for e in taken]

    results = await asyncio.gather(*(claim() for _ in range(10)))
    everything = [event_id for taken in results for event_id in taken]
    assert len(everything) == len(set(everything)), "an event was claimed by two claimers"
    assert len(everything) == 20
