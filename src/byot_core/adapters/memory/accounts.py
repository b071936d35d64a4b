"""What the in-memory storage keeps per account: the destination policy and the count of refused calls."""

from __future__ import annotations

from byot_core.adapters.memory.state import Journal, State
from byot_core.domain.destinations import ACCOUNT_DEFAULT, DestinationPolicy

__all__ = ["MemoryAccountRepository"]


class MemoryAccountRepository:
    """Accounts' destination policies and refusal counts, journaled with the unit of work."""

    __slots__ = ("journal", "state")

    def __init__(self, state: State, journal: Journal) -> None:
        self.state = state
        self.journal = journal

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
