"""What the in-memory storage keeps per account (destination policy, refusals, callback secret), and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from byot_core.adapters.memory.state import Through
from byot_core.domain.callbacks import CallbackEvent, EventState, SigningKeys
from byot_core.domain.destinations import ACCOUNT_DEFAULT, DestinationPolicy

__all__ = ["MemoryAccountRepository", "MemoryOutboxRepository"]


class MemoryAccountRepository(Through):
    """Accounts' destination policies and refusal counts, journaled with the unit of work."""

    __slots__ = ()

    async def destinations(self, account_id: str) -> DestinationPolicy:
        """The account's policy, or the default."""
        return self.state.destinations.get(account_id, ACCOUNT_DEFAULT)

    async def set_destinations(self, account_id: str, policy: DestinationPolicy) -> None:
        """Replace the account's policy."""
        self.journal.set(self.state.destinations, account_id, policy.for_account())

    async def count_refusal(self, account_id: str) -> None:
        """One more refused call."""
        self.journal.set(self.state.refusals, account_id, self.state.refusals.get(account_id, 0) + 1)

    async def refused_calls(self, account_id: str) -> int:
        """The account's refused calls."""
        return self.state.refusals.get(account_id, 0)

    async def callback_keys(self, account_id: str) -> SigningKeys | None:
        """The account's sealed callback secrets."""
        return self.state.callback_keys.get(account_id)

    async def set_callback_keys(self, account_id: str, keys: SigningKeys) -> None:
        """Replace them."""
        self.journal.set(self.state.callback_keys, account_id, keys)


class MemoryOutboxRepository(Through):
    """Status callbacks, journaled with the unit of work (which holds the store's one lock: claims cannot race)."""

    __slots__ = ()

    async def add(self, events: Sequence[CallbackEvent]) -> None:
        """Store new events."""
        for event in events:
            self.journal.set(self.state.outbox, event.id, event)

    async def next_sequence(self, execution_id: str) -> int:
        """One past the call's last event."""
        return 1 + max((e.sequence for e in self.state.outbox.values() if e.execution_id == execution_id), default=0)

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[CallbackEvent]:
        """The earliest pending event of each call, when due and not held, oldest due first."""
        first: dict[str, CallbackEvent] = {}
        for event in self.state.outbox.values():
            held = first.get(event.execution_id)
            if event.state is EventState.PENDING and (held is None or event.sequence < held.sequence):
                first[event.execution_id] = event
        due = [e for e in first.values() if e.next_attempt_at <= now and self.state.outbox_leases.get(e.id, now) <= now]
        due.sort(key=lambda e: (e.next_attempt_at, e.created_at, e.id))
        for event in due[:limit]:
            self.journal.set(self.state.outbox_leases, event.id, lease_until)
        return due[:limit]

    async def record(self, event: CallbackEvent) -> None:
        """Store the outcome; release the event."""
        self.journal.set(self.state.outbox, event.id, event)
        self.journal.delete(self.state.outbox_leases, event.id)

    async def for_execution(self, execution_id: str) -> Sequence[CallbackEvent]:
        """The call's events in order."""
        return sorted(
            (e for e in self.state.outbox.values() if e.execution_id == execution_id), key=lambda e: e.sequence
        )

    async def purge(self, written_before: datetime) -> int:
        """Forget finished events written before then."""
        done = [
            e.id
            for e in self.state.outbox.values()
            if e.state is not EventState.PENDING and e.created_at < written_before
        ]
        for event_id in done:
            self.journal.delete(self.state.outbox, event_id)
        return len(done)

    async def backlog(self, now: datetime) -> tuple[int, float]:
        """Pending events and the oldest one's age."""
        pending = [e for e in self.state.outbox.values() if e.state is EventState.PENDING]
        oldest = min((e.created_at for e in pending), default=now)
        return len(pending), max((now - oldest).total_seconds(), 0.0)
