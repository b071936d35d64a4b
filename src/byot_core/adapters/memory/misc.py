"""Small in-memory adapters: a balance check and an inbound call handler that records what it is given."""

from __future__ import annotations

from collections import deque

from byot_core.domain.telephony import InboundOffer

__all__ = ["FixedBalance", "RecordingInboundHandler"]


class FixedBalance:
    """A balance check with one answer per account (``allowed`` for accounts not listed)."""

    def __init__(self, allowed: bool = True) -> None:
        self.allowed = allowed
        self.per_account: dict[str, bool] = {}

    async def allows_call(self, account_id: str, agent_id: str) -> bool:
        """The configured answer."""
        return self.per_account.get(account_id, self.allowed)


class RecordingInboundHandler:
    """Takes every routed inbound call and records the offer, for tests and demos.

    ``limit`` keeps only the most recent offers (a long-running server records calls as executions already).
    """

    def __init__(self, limit: int | None = None) -> None:
        self.offers: deque[InboundOffer] = deque(maxlen=limit)

    async def on_inbound_call(self, offer: InboundOffer) -> None:
        """Record the offer."""
        self.offers.append(offer)
