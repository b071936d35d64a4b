"""The storage contract's checks of numbers: added together, and read for routing with their trunks' sources."""

from __future__ import annotations

import attrs

from byot_core.domain.errors import PhoneNumberOnTrunk
from byot_core.domain.trunk import IpIdentifier
from byot_core.testing.samples import T0, StorageFactory, sample_number, sample_trunk
from byot_core.testing.samples import expect as _expect

__all__ = ["numbers_added_together", "routing_candidates_carry_sources", "routing_follows_trunk_changes"]

_T0 = T0


async def routing_candidates_carry_sources(new: StorageFactory) -> None:
    """Routing candidates come with their trunk and its allowed sources, kept current when the trunk changes."""
    storage = await new()
    trunk = sample_trunk("t1")
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(trunk)
        await uow.numbers.add(sample_number("n1", trunk))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        (candidate,) = await uow.numbers.routing_candidates("919876543210")
        assert candidate.sources.allows("198.51.100.7")
        assert candidate.sources.allows("203.0.113.10")
        assert not candidate.sources.allows("192.0.2.1")
        changed = attrs.evolve(trunk, ip_identifiers=(IpIdentifier("i2", "192.0.2.0/28", _T0),), revision=1)
        await uow.trunks.update(changed)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        (candidate,) = await uow.numbers.routing_candidates("919876543210")
        assert candidate.sources.allows("192.0.2.1")
        assert not candidate.sources.allows("198.51.100.7")


async def routing_follows_trunk_changes(new: StorageFactory) -> None:
    """Routing reads see their own unit of work's trunk change, never one rolled back, and a committed one at once."""
    storage = await new()
    active, inactive = sample_trunk("t1"), sample_trunk("t2", active=False)
    async with storage.unit_of_work() as uow:
        for trunk in (active, inactive):
            await uow.trunks.add(trunk)
            await uow.numbers.add(sample_number(f"n-{trunk.id}", trunk))
        await uow.commit()

    async def routed(key: str) -> list[bool]:
        async with storage.unit_of_work(read_only=True, snapshot=False) as uow:
            found = await uow.numbers.routing_candidates(key)
        return [c.trunk.is_active for c in sorted(found, key=lambda c: c.number.id)]

    async with storage.unit_of_work() as uow:
        await uow.numbers.add(sample_number("n-new", active, "15550000001"))
    assert await routed("15550000001") == [], "a routing read saw a number rolled back"
    async with storage.unit_of_work() as uow:
        stored = await uow.trunks.get(active.account_id, active.id)
        assert stored is not None
        await uow.trunks.update(attrs.evolve(stored, is_active=False))
        inside = await uow.numbers.routing_candidates("919876543210")
        assert not any(c.trunk.is_active for c in inside), "a unit of work's routing read missed its own trunk change"
    assert await routed("919876543210") == [True, False], "a routing read saw a trunk change rolled back"
    async with storage.unit_of_work() as uow:
        stored = await uow.trunks.get(active.account_id, active.id)
        assert stored is not None
        await uow.trunks.update(attrs.evolve(stored, is_active=False))
        await uow.commit()
    for _ in range(2):  # the first read may refresh what the storage keeps; the second reads what it kept
        assert await routed("919876543210") == [False, False], "a routing read missed a committed trunk change"


async def numbers_added_together(new: StorageFactory) -> None:
    """add_all stores every number, or raises what add would for the first that cannot be stored."""
    storage = await new()
    trunk = sample_trunk("t1")
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(trunk)
        await uow.numbers.add_all([sample_number("n1", trunk, "15550001111"), sample_number("n2", trunk)])
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert len(await uow.numbers.list_for_trunk("acct-1", "t1")) == 2, "add_all stores every number"
        again = [sample_number("n3", trunk, "442079460000"), sample_number("n4", trunk)]
        await _expect(PhoneNumberOnTrunk, uow.numbers.add_all(again), "add_all of a DID already on the trunk")
