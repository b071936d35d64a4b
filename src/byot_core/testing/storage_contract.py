"""The storage contract: behaviour every storage adapter must show, whatever it stores data in.

Each check is an async function taking a factory of fresh, empty storages. Run them all from any test runner::

    @pytest.mark.parametrize("check", STORAGE_CONTRACT, ids=lambda c: c.__name__)
    async def test_contract(check):
        await check(MyStorage.empty)

A check raises ``AssertionError`` saying what broke.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import attrs

from byot_core.domain.errors import PhoneNumberConflict, PhoneNumberOnTrunk, StorageBusy, TrunkNameConflict
from byot_core.domain.trunk import SyncState
from byot_core.ports.storage import ReadOnlyUnitOfWork
from byot_core.testing.account_checks import (
    a_sealed_password_can_be_found,
    account_destinations_and_refusals,
    trunk_destinations_round_trip,
)
from byot_core.testing.execution_checks import (
    executions_by_channel_and_agent,
    leases_are_claimed_once_and_calls_adopted,
)
from byot_core.testing.number_checks import (
    numbers_added_together,
    routing_candidates_carry_sources,
    routing_follows_trunk_changes,
)
from byot_core.testing.outbox_checks import outbox_claims_in_order_once, outbox_claims_race_to_one_claimer
from byot_core.testing.samples import T0, StorageFactory, sample_number, sample_trunk
from byot_core.testing.samples import expect as _expect

__all__ = ["STORAGE_CONTRACT", "StorageFactory", "sample_number", "sample_trunk"]


async def trunk_round_trip(new: StorageFactory) -> None:
    """A stored trunk reads back equal, within its account only."""
    storage = await new()
    trunk = sample_trunk("t1")
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(trunk)
        await uow.commit()
    trunk = attrs.evolve(trunk, revision=1)  # as storage numbers its first version
    async with storage.unit_of_work() as uow:
        assert await uow.trunks.get("acct-1", "t1") == trunk, "trunk did not read back equal"
        assert await uow.trunks.get("acct-2", "t1") is None, "another account's trunk was visible"
        assert await uow.trunks.exists("acct-1", "t1")
        assert not await uow.trunks.exists("acct-2", "t1")
        assert not await uow.trunks.exists("acct-1", "t2")
        assert await uow.trunks.get_any("t1") == trunk


async def revisions_count_changes_and_refuse_stale_writes(new: StorageFactory) -> None:
    """Each update stores the next revision; an update, or a sync state, for an older one writes nothing."""
    storage = await new()
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(sample_trunk("t1"))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        first = await uow.trunks.get("acct-1", "t1", for_update=True)
        assert first is not None
        assert first.revision == 1, f"a new trunk is at revision 1, not {first.revision}"
        await uow.trunks.update(attrs.evolve(first, name="Renamed"))
        assert await uow.trunks.set_sync_state("t1", SyncState.APPLIED, revision=2), "the current revision's state"
        await uow.commit()
    async with storage.unit_of_work() as uow:
        second = await uow.trunks.get("acct-1", "t1")
        assert second is not None
        assert second.revision == 2, f"one update, one revision more, not {second.revision}"
        await _expect(StorageBusy, uow.trunks.update(attrs.evolve(first, name="Stale")), "an update from revision 1")
    async with storage.unit_of_work() as uow:
        # Found for a version no longer stored: not recorded, and said so.
        assert not await uow.trunks.set_sync_state("t1", SyncState.FAILED, revision=1), "a stale state was recorded"
        assert not await uow.trunks.set_sync_state("t9", SyncState.FAILED), "a missing trunk's state was recorded"
        await uow.commit()
    async with storage.unit_of_work() as uow:
        kept = await uow.trunks.get("acct-1", "t1")
        assert kept is not None
        assert (kept.name, kept.revision) == ("Renamed", 2), f"a stale update wrote: {kept}"
        assert kept.sync_state is SyncState.APPLIED, "a sync state found for revision 1 was recorded on revision 2"


async def uncommitted_work_is_rolled_back(new: StorageFactory) -> None:
    """Leaving a unit of work without commit, or by an exception, leaves nothing behind."""
    storage = await new()
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(sample_trunk("t1"))
    try:
        async with storage.unit_of_work() as uow:
            await uow.trunks.add(sample_trunk("t2"))
            await uow.numbers.add(sample_number("n2", sample_trunk("t2")))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with storage.unit_of_work() as uow:
        assert await uow.trunks.get_any("t1") is None, "uncommitted trunk was kept"
        assert await uow.trunks.get_any("t2") is None, "trunk of a failed unit of work was kept"
        assert not await uow.numbers.routing_candidates("919876543210"), "number of a failed unit of work was kept"


async def trunk_names_unique_per_account(new: StorageFactory) -> None:
    """Names are unique per account, without case; other accounts and deleted trunks do not count."""
    storage = await new()
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(sample_trunk("t1", name="Main"))
        await uow.trunks.add(sample_trunk("t2", "acct-2", name="Main"))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await _expect(TrunkNameConflict, uow.trunks.add(sample_trunk("t3", name=" main ")), "same name, same account")
    async with storage.unit_of_work() as uow:
        first = await uow.trunks.get("acct-1", "t1")
        assert first is not None
        await uow.trunks.update(attrs.evolve(first, deleted=True))
        await uow.trunks.add(sample_trunk("t3", name="Main"))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        renamed = attrs.evolve(sample_trunk("t4", name="Other"))
        await uow.trunks.add(renamed)
        renamed = attrs.evolve(renamed, name="MAIN", revision=1)
        await _expect(TrunkNameConflict, uow.trunks.update(renamed), "rename onto a name")


async def did_held_once_among_active_trunks(new: StorageFactory) -> None:
    """A canonical DID lives on one active trunk platform-wide; inactive trunks may hold copies."""
    storage = await new()
    t1, t2, t3 = sample_trunk("t1"), sample_trunk("t2", "acct-2"), sample_trunk("t3", active=False)
    async with storage.unit_of_work() as uow:
        for trunk in (t1, t2, t3):
            await uow.trunks.add(trunk)
        await uow.numbers.add(sample_number("n1", t1))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await _expect(PhoneNumberConflict, uow.numbers.add(sample_number("n2", t2)), "DID on a second active trunk")
    async with storage.unit_of_work() as uow:
        await _expect(PhoneNumberOnTrunk, uow.numbers.add(sample_number("n2", t1)), "DID twice on one trunk")
    async with storage.unit_of_work() as uow:
        await uow.numbers.add(sample_number("n3", t3))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        inactive = await uow.trunks.get("acct-1", "t3")
        assert inactive is not None
        await _expect(
            PhoneNumberConflict, uow.trunks.update(attrs.evolve(inactive, is_active=True)), "reactivation onto a DID"
        )
    async with storage.unit_of_work() as uow:
        number = await uow.numbers.get("acct-1", "n1")
        assert number is not None
        await uow.numbers.update(attrs.evolve(number, deleted=True))
        await uow.numbers.add(sample_number("n4", t2))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        candidates = await uow.numbers.routing_candidates("919876543210")
        active = [c for c in candidates if c.trunk.routes_calls]
        assert [c.number.id for c in active] == ["n4"], f"expected only n4 active, got {active}"


async def deactivation_frees_the_did(new: StorageFactory) -> None:
    """Deactivating a trunk releases its DIDs to another trunk; reactivating it then is refused."""
    storage = await new()
    t1, t2 = sample_trunk("t1"), sample_trunk("t2")
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(t1)
        await uow.trunks.add(t2)
        await uow.numbers.add(sample_number("n1", t1))
        await uow.trunks.update(attrs.evolve(t1, is_active=False, revision=1))
        await uow.numbers.add(sample_number("n2", t2))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        reactivated = attrs.evolve(t1, is_active=True, revision=2)
        await _expect(PhoneNumberConflict, uow.trunks.update(reactivated), "reactivation")


async def listing_counts_live_numbers(new: StorageFactory) -> None:
    """Listings filter by ``is_active``, skip deleted trunks and count only live numbers."""
    storage = await new()
    t1, t2, t3 = sample_trunk("t1"), sample_trunk("t2", active=False), sample_trunk("t3")
    async with storage.unit_of_work() as uow:
        for trunk in (t1, t2, t3):
            await uow.trunks.add(trunk)
        await uow.numbers.add(sample_number("n1", t1, "15550000001"))
        await uow.numbers.add(sample_number("n2", t1, "15550000002"))
        await uow.numbers.add(sample_number("n3", t2, "15550000003"))
        await uow.trunks.update(attrs.evolve(t3, deleted=True, revision=1))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        number = await uow.numbers.get("acct-1", "n2")
        assert number is not None
        await uow.numbers.update(attrs.evolve(number, deleted=True))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        everything = {s.trunk.id: s.phone_numbers_count for s in await uow.trunks.list("acct-1")}
        active = [s.trunk.id for s in await uow.trunks.list("acct-1", True)]
        inactive = [s.trunk.id for s in await uow.trunks.list("acct-1", False)]
        numbers = [n.id for n in await uow.numbers.list_for_trunk("acct-1", "t1")]
    assert everything == {"t1": 1, "t2": 1}, everything
    assert active == ["t1"]
    assert inactive == ["t2"]
    assert numbers == ["n1"]


async def removing_a_trunks_numbers(new: StorageFactory) -> None:
    """Removing a trunk's numbers soft-deletes them, clears their mappings and counts them."""
    storage = await new()
    trunk = sample_trunk("t1")
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(trunk)
        await uow.numbers.add(attrs.evolve(sample_number("n1", trunk, "15550000001"), agent_id="agent-1"))
        await uow.numbers.add(sample_number("n2", trunk, "15550000002"))
        await uow.commit()
    later = T0 + timedelta(minutes=5)
    async with storage.unit_of_work() as uow:
        assert await uow.numbers.remove_all_for_trunk("t1", later) == 2
        await uow.commit()
    async with storage.unit_of_work() as uow:
        number = await uow.numbers.get("acct-1", "n1")
        assert number is not None
        assert number.deleted
        assert number.agent_id is None
        assert number.updated_at == later
        assert not await uow.numbers.routing_candidates("15550000001")
        assert await uow.numbers.remove_all_for_trunk("t1", later) == 0


async def sync_state_is_recorded(new: StorageFactory) -> None:
    """A trunk's sync state is stored without touching ``updated_at``, and every read sees it."""
    storage = await new()
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(sample_trunk("t1"))
        await uow.numbers.add(sample_number("n1", sample_trunk("t1")))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert [c.trunk.sync_state for c in await uow.numbers.routing_candidates("919876543210")] == [SyncState.PENDING]
        await uow.trunks.set_sync_state("t1", SyncState.FAILED, error="node a: no transport")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        (candidate,) = await uow.numbers.routing_candidates("919876543210")
        assert candidate.trunk.sync_state is SyncState.FAILED, "a routing read returned a stale trunk"
    async with storage.unit_of_work() as uow:
        trunk = await uow.trunks.get("acct-1", "t1")
        assert trunk is not None
        assert trunk.sync_state is SyncState.FAILED
        assert await uow.trunks.sync_error("t1") == "node a: no transport", "the reason of a failure was not kept"
        assert trunk.updated_at == T0
        assert list(await uow.trunks.all_ids()) == ["t1"]
        await uow.trunks.set_sync_state("t1", SyncState.APPLIED)
        await uow.commit()
    async with storage.unit_of_work(read_only=True) as uow:
        assert await uow.trunks.sync_error("t1") is None, "an applied trunk kept an old failure's reason"


async def read_only_units_read_and_refuse_writes(new: StorageFactory) -> None:
    """A read-only unit of work sees what is committed and raises ReadOnlyUnitOfWork on any write."""
    storage = await new()
    trunk = sample_trunk("t1")
    async with storage.unit_of_work() as uow:
        await uow.trunks.add(trunk)
        await uow.commit()
    async with storage.unit_of_work(read_only=True) as uow:
        stored = attrs.evolve(trunk, revision=1)
        assert await uow.trunks.get("acct-1", "t1") == stored, "a read-only unit of work reads committed trunks"
        await _expect(ReadOnlyUnitOfWork, uow.trunks.add(sample_trunk("t2")), "adding in a read-only unit of work")
        await _expect(ReadOnlyUnitOfWork, uow.numbers.add(sample_number("n1", trunk)), "adding a number read-only")
    async with storage.unit_of_work() as uow:
        assert await uow.trunks.get("acct-1", "t2") is None, "nothing written by a refused read-only write"


#: Every check of the contract, in a stable order.
STORAGE_CONTRACT: tuple[Callable[[StorageFactory], Awaitable[None]], ...] = (
    trunk_round_trip,
    revisions_count_changes_and_refuse_stale_writes,
    uncommitted_work_is_rolled_back,
    trunk_names_unique_per_account,
    did_held_once_among_active_trunks,
    deactivation_frees_the_did,
    listing_counts_live_numbers,
    removing_a_trunks_numbers,
    sync_state_is_recorded,
    a_sealed_password_can_be_found,
    executions_by_channel_and_agent,
    leases_are_claimed_once_and_calls_adopted,
    routing_candidates_carry_sources,
    read_only_units_read_and_refuse_writes,
    numbers_added_together,
    routing_follows_trunk_changes,
    account_destinations_and_refusals,
    trunk_destinations_round_trip,
    outbox_claims_in_order_once,
    outbox_claims_race_to_one_claimer,
)
