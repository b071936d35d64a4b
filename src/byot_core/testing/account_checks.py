"""The storage contract's checks of what is kept per account, and of a trunk's own destination policy."""

from __future__ import annotations

import asyncio

import attrs

from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.secret import SealedSecret
from byot_core.testing.samples import StorageFactory, sample_trunk

__all__ = ["a_sealed_password_can_be_found", "account_destinations_and_refusals", "trunk_destinations_round_trip"]


async def account_destinations_and_refusals(new: StorageFactory) -> None:
    """An account's policy reads back as set (the default before), per account; refusals add up, even at once."""
    storage = await new()
    async with storage.unit_of_work(read_only=True) as uow:
        assert await uow.accounts.destinations("acct-1") == DestinationPolicy(
            premium_rate=False, shared_cost=False, satellite=False
        ), "an account that set nothing did not read the default"
        assert await uow.accounts.refused_calls("acct-1") == 0
    policy = DestinationPolicy(countries=("GB", "IN"), premium_rate=True, shared_cost=False, satellite=True)
    async with storage.unit_of_work() as uow:
        await uow.accounts.set_destinations("acct-1", policy)
        await uow.accounts.count_refusal("acct-1")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await uow.accounts.set_destinations("acct-1", DestinationPolicy(countries=("US",)))
        await uow.accounts.count_refusal("acct-1")
        # Left without commit: neither change is kept.

    async def refuse_once() -> None:
        async with storage.unit_of_work() as uow:
            await uow.accounts.count_refusal("acct-1")
            await uow.commit()

    await asyncio.gather(*(refuse_once() for _ in range(5)))
    async with storage.unit_of_work(read_only=True) as uow:
        assert await uow.accounts.destinations("acct-1") == policy, "the policy did not read back as committed"
        assert await uow.accounts.refused_calls("acct-1") == 6, "refusals were lost or counted from rolled-back work"
        assert await uow.accounts.refused_calls("acct-2") == 0, "another account's refusals were visible"
        assert await uow.accounts.destinations("acct-2") == DestinationPolicy(
            premium_rate=False, shared_cost=False, satellite=False
        )


async def trunk_destinations_round_trip(new: StorageFactory) -> None:
    """A trunk's own policy (flags left ``None`` included) reads back as stored, and as updated."""
    storage = await new()
    trunk = attrs.evolve(
        sample_trunk("t1"), destinations=DestinationPolicy(countries=("FR", "IN"), premium_rate=False, satellite=None)
    )
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(trunk)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        stored = await uow.trunks.get("acct-1", "t1")
        assert stored is not None
        assert stored.destinations == trunk.destinations, "the trunk's policy did not read back equal"
        await uow.trunks.update(attrs.evolve(stored, destinations=DestinationPolicy(shared_cost=True)))
        await uow.commit()
    async with storage.unit_of_work(read_only=True) as uow:
        stored = await uow.trunks.get_any("t1")
        assert stored is not None
        assert stored.destinations == DestinationPolicy(shared_cost=True)


async def a_sealed_password_can_be_found(new: StorageFactory) -> None:
    """Storage hands out one stored sealed password, for checking the secret keys at start."""
    storage = await new()
    async with storage.unit_of_work() as uow:
        assert await uow.trunks.any_sealed_password() is None
        await uow.trunks.add(attrs.evolve(sample_trunk("t1"), auth_password=SealedSecret("sealed-token")))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.trunks.any_sealed_password() == SealedSecret("sealed-token")
