"""The balance check port."""

from __future__ import annotations

from typing import Protocol

__all__ = ["BalanceCheck"]


class BalanceCheck(Protocol):
    """Decides whether an account may place a call before anything is dialled."""

    async def allows_call(self, account_id: str, agent_id: str) -> bool:
        """``True`` if the account's balance covers a call; ``False`` records the execution as ``balance-low``."""
