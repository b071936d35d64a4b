"""What storage keeps per account (a destination policy, a callback secret) and the status callbacks' outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from byot_core.domain.callbacks import CallbackEvent, SigningKeys
from byot_core.domain.destinations import DestinationPolicy

__all__ = ["AccountRepository", "OutboxRepository"]


class AccountRepository(Protocol):
    """What the library keeps per account: its outbound destination policy and how many calls it refused."""

    async def destinations(self, account_id: str) -> DestinationPolicy:
        """The account's destination policy.

        An account that never set one has the default: every country, none of the restricted kinds of number.
        """

    async def set_destinations(self, account_id: str, policy: DestinationPolicy) -> None:
        """Replace the account's destination policy (its refusal count is kept)."""

    async def count_refusal(self, account_id: str) -> None:
        """Add one to the account's count of calls refused by its destination policy."""

    async def refused_calls(self, account_id: str) -> int:
        """How many calls the account's destination policy refused."""

    async def callback_keys(self, account_id: str) -> SigningKeys | None:
        """The sealed secrets the account's status callbacks are signed with (``None`` until one is made)."""

    async def set_callback_keys(self, account_id: str, keys: SigningKeys) -> None:
        """Replace the account's callback secrets."""


class OutboxRepository(Protocol):
    """Status callbacks to deliver: written in the unit of work of the change they report, claimed by one deliverer.

    In order per call: a call's event is claimed only once every earlier event of that call is delivered or given
    up on.
    """

    async def add(self, events: Sequence[CallbackEvent]) -> None:
        """Store new events (pending, due at once)."""

    async def next_sequence(self, execution_id: str) -> int:
        """The sequence the call's next event takes (1 for its first)."""

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[CallbackEvent]:
        """Take up to ``limit`` due events, oldest due first, until ``lease_until``.

        Due: pending, due by ``now``, not held by another claimer, and the earliest pending event of their call. Each
        is claimed by one caller only, even with several processes claiming at once.
        """

    async def record(self, event: CallbackEvent) -> None:
        """Store an attempt's outcome (the event as it now is: attempts, state, next attempt, error); releases it."""

    async def for_execution(self, execution_id: str) -> Sequence[CallbackEvent]:
        """A call's events, in order."""

    async def backlog(self, now: datetime) -> tuple[int, float]:
        """How many events are pending, and how old (seconds) the oldest of them is (0 when none)."""

    async def purge(self, written_before: datetime) -> int:
        """Delete the delivered and undeliverable events written before then; return how many."""
