"""The in-memory storage's repositories: each reads and writes the state through its unit of work's journal.

Uniqueness is enforced by the state's indexes at write time (see :class:`~byot_core.adapters.memory.state.State`);
reads compute their answers from the stored objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from byot_core.adapters.memory.state import State, Through
from byot_core.domain.errors import PhoneNumberConflict, PhoneNumberOnTrunk, StorageBusy, TrunkNameConflict
from byot_core.domain.execution import Execution
from byot_core.domain.pacing import reserve_slot
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.routing import RouteCandidate, allowed_sources
from byot_core.domain.secret import SealedSecret
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import SyncState, Trunk
from byot_core.domain.uniqueness import first_held_elsewhere, holds_did, name_key
from byot_core.ports.storage import TrunkSummary

__all__: list[str] = []  # the repositories are reached through MemoryUnitOfWork


class _Repositories(Through):
    """The trunk, number, execution and instance repositories: the state and journal, and a trunk's live numbers."""

    __slots__ = ()

    def live_numbers_of(self, trunk_id: str) -> list[PhoneNumber]:
        ids = self.state.by_trunk.get(trunk_id, {})
        return [n for i in ids if not (n := self.state.numbers[i]).deleted]


class _TrunkRepo(_Repositories):
    """Trunks, names unique per account, their numbers' DIDs held once among active trunks."""

    __slots__ = ()

    async def add(self, trunk: Trunk) -> None:
        self._put(attrs.evolve(trunk, revision=0), new=True)

    async def get(self, account_id: str, trunk_id: str, *, for_update: bool = False) -> Trunk | None:
        # Units of work here take turns: a trunk read is already held until this one ends.
        trunk = self.state.trunks.get(trunk_id)
        if trunk is None or trunk.account_id != account_id or trunk.deleted:
            return None
        return trunk

    async def exists(self, account_id: str, trunk_id: str) -> bool:
        return await self.get(account_id, trunk_id) is not None

    async def get_any(self, trunk_id: str) -> Trunk | None:
        return self.state.trunks.get(trunk_id)

    async def list(self, account_id: str, is_active: bool | None = None) -> Sequence[TrunkSummary]:
        found = [
            TrunkSummary(t, len(self.live_numbers_of(t.id)))
            for t in self.state.trunks.values()
            if t.account_id == account_id and not t.deleted and (is_active is None or t.is_active == is_active)
        ]
        return sorted(found, key=lambda s: (s.trunk.created_at, s.trunk.id))

    async def update(self, trunk: Trunk) -> None:
        self._put(trunk, new=False)

    async def reserve_attempt(
        self, trunk_id: str, calls_per_second: int, now: datetime, max_wait: timedelta | None
    ) -> datetime | None:
        slot = reserve_slot(self.state.pacing.get(trunk_id), now, calls_per_second, max_wait)
        if slot is None:
            return None
        self.journal.set(self.state.pacing, trunk_id, slot.next_free)
        return slot.at

    async def set_sync_state(
        self, trunk_id: str, state: SyncState, *, revision: int | None = None, error: str | None = None
    ) -> bool:
        trunk = self.state.trunks.get(trunk_id)
        if trunk is None or revision not in (None, trunk.revision):
            return False
        self.journal.set(self.state.trunks, trunk_id, attrs.evolve(trunk, sync_state=state))
        self.journal.set(self.state.sync_errors, trunk_id, error)
        return True

    async def sync_error(self, trunk_id: str) -> str | None:
        return self.state.sync_errors.get(trunk_id)

    async def all_ids(self) -> Sequence[str]:
        return list(self.state.trunks)

    async def any_sealed_password(self) -> SealedSecret | None:
        return next((t.auth_password for t in self.state.trunks.values() if t.auth_password), None)

    def _put(self, trunk: Trunk, *, new: bool) -> None:
        state, journal = self.state, self.journal
        old = state.trunks.get(trunk.id)
        if (old is None) != new:
            raise LookupError(f"trunk {trunk.id} is {'already' if new else 'not'} stored")
        if old is not None and trunk.revision != old.revision:
            # Changed since it was read (or added twice): writing would undo a change unseen.
            raise StorageBusy()
        trunk = attrs.evolve(trunk, revision=trunk.revision + 1)
        new_name = (trunk.account_id, name_key(trunk.name))
        if not trunk.deleted and state.names.get(new_name, trunk.id) != trunk.id:
            raise TrunkNameConflict()
        numbers = self.live_numbers_of(trunk.id)
        if trunk.routes_calls and not (old is not None and old.routes_calls):
            clash = first_held_elsewhere(numbers, lambda key: self.holder_trunk(key), trunk.id)
            if clash is not None:
                raise PhoneNumberConflict(clash.phone_number)
        # Checks passed: from here on nothing raises.
        if old is not None and not old.deleted:
            journal.delete(state.names, (old.account_id, name_key(old.name)))
        if not trunk.deleted:
            journal.set(state.names, new_name, trunk.id)
        journal.set(state.trunks, trunk.id, trunk)
        for number in numbers:
            self.index_holder(number, trunk)
        if old is None or (old.gateways, old.ip_identifiers) != (trunk.gateways, trunk.ip_identifiers):
            state.sources.pop(trunk.id, None)

    def holder_trunk(self, key: str) -> str | None:
        holder = self.state.holders.get(key)
        return None if holder is None else self.state.numbers[holder].trunk_id

    def index_holder(self, number: PhoneNumber, trunk: Trunk) -> None:
        holders = self.state.holders
        if holds_did(number, trunk):
            self.journal.set(holders, number.canonical_key, number.id)
        elif holders.get(number.canonical_key) == number.id:
            self.journal.delete(holders, number.canonical_key)


class _NumberRepo(_Repositories):
    """Numbers, no DID twice on one trunk."""

    __slots__ = ()

    async def add(self, number: PhoneNumber) -> None:
        self._put(number)

    async def add_all(self, numbers: Sequence[PhoneNumber]) -> None:
        for number in numbers:
            self._put(number)

    async def get(self, account_id: str, number_id: str) -> PhoneNumber | None:
        number = self.state.numbers.get(number_id)
        return number if number is not None and number.account_id == account_id else None

    async def list_for_trunk(self, account_id: str, trunk_id: str) -> Sequence[PhoneNumber]:
        return [n for n in self.live_numbers_of(trunk_id) if n.account_id == account_id]

    async def update(self, number: PhoneNumber) -> None:
        self._put(number)

    async def remove_all_for_trunk(self, trunk_id: str, now: datetime) -> int:
        numbers = self.live_numbers_of(trunk_id)
        for number in numbers:
            self._put(attrs.evolve(number, deleted=True, agent_id=None, updated_at=now))
        return len(numbers)

    async def routing_candidates(self, key: str) -> Sequence[RouteCandidate]:
        state = self.state
        found = []
        for number in state.by_key.get(key, {}).values():
            trunk = state.trunks[number.trunk_id]
            if not trunk.deleted:
                found.append(RouteCandidate(number, trunk, _sources(state, trunk)))
        return found

    def _put(self, number: PhoneNumber) -> None:
        state, journal = self.state, self.journal
        trunks = _TrunkRepo(state, journal)  # the DIDs trunks hold are indexed with the trunks
        trunk = state.trunks[number.trunk_id]
        old = state.numbers.get(number.id)
        was_live = old is not None and not old.deleted
        if not number.deleted and not was_live:
            if (number.trunk_id, number.canonical_key) in state.on_trunk:
                raise PhoneNumberOnTrunk()
            holder = trunks.holder_trunk(number.canonical_key)
            if holds_did(number, trunk) and holder is not None and holder != number.trunk_id:
                raise PhoneNumberConflict()
        journal.set(state.numbers, number.id, number)
        journal.add_to(state.by_trunk, number.trunk_id, number.id)
        key = number.canonical_key
        if number.deleted:
            journal.delete(state.on_trunk, (number.trunk_id, key))
            journal.remove_from(state.by_key, key, number.id)
        else:
            journal.set(state.on_trunk, (number.trunk_id, key), number.id)
            journal.add_to(state.by_key, key, number.id, number)
        trunks.index_holder(number, trunk)


def _sources(state: State, trunk: Trunk) -> SourceMatcher:
    """The trunk's allowed sources, built once per trunk until its addresses change or a unit of work is undone.

    The one thing kept between reads: building a matcher from a trunk's many CIDRs costs far more than a decision.
    """
    sources = state.sources.get(trunk.id)
    if sources is None:
        sources = state.sources[trunk.id] = allowed_sources(trunk)
    return sources


class _ExecutionRepo(_Repositories):
    """Executions, by channel, agent and trunk."""

    __slots__ = ()

    async def add(self, execution: Execution) -> None:
        await self.update(execution)

    async def get(self, account_id: str, execution_id: str) -> Execution | None:
        execution = self.state.executions.get(execution_id)
        return execution if execution is not None and execution.account_id == account_id else None

    async def update(self, execution: Execution) -> None:
        state, journal = self.state, self.journal
        journal.set(state.executions, execution.id, execution)
        for channel_id in execution.channel_ids:
            if channel_id not in state.by_channel:
                journal.set(state.by_channel, channel_id, execution.id)
        journal.add_to(state.by_agent, (execution.account_id, execution.agent_id), execution.id)
        if execution.trunk_id is not None:
            if execution.ended_at is None:
                journal.add_to(state.live_on_trunk, execution.trunk_id, execution.id)
            else:
                journal.remove_from(state.live_on_trunk, execution.trunk_id, execution.id)

    async def find_by_channel(self, channel_id: str) -> Execution | None:
        execution_id = self.state.by_channel.get(channel_id)
        return None if execution_id is None else self.state.executions[execution_id]

    async def live_on_trunk(self, trunk_id: str) -> int:
        # A unit of work here is exclusive while open: counting and adding are one step already.
        return len(self.state.live_on_trunk.get(trunk_id, ()))

    async def adopt(self, from_instance: str, to_instance: str) -> Sequence[Execution]:
        adopted = []
        for execution in list(self.state.executions.values()):
            if execution.instance_id == from_instance and execution.ended_at is None:
                moved = attrs.evolve(execution, instance_id=to_instance)
                await self.update(moved)
                adopted.append(moved)
        return adopted

    async def list_for_agent(self, account_id: str, agent_id: str, limit: int = 100) -> Sequence[Execution]:
        ids = self.state.by_agent.get((account_id, agent_id), {})
        executions = [self.state.executions[i] for i in ids]
        executions.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        return executions[:limit]


class _InstanceRepo(_Repositories):
    """Instances' leases."""

    __slots__ = ()

    async def renew(self, instance_id: str, expires_at: datetime) -> None:
        self.journal.set(self.state.leases, instance_id, expires_at)

    async def claim_expired(self, now: datetime) -> Sequence[str]:
        expired = [i for i, until in self.state.leases.items() if until < now]
        for instance_id in expired:
            self.journal.delete(self.state.leases, instance_id)
        return expired
