"""Small in-memory adapters: a balance check, and inbound and outbound call handlers that record what they get."""

from __future__ import annotations

from collections import deque

from byot_core.domain.telephony import AnsweredOutboundCall, InboundOffer

__all__ = ["FixedBalance", "RecordingInboundHandler", "RecordingOutboundHandler"]


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


class RecordingOutboundHandler:
    """Takes every answered outbound call and records it, for tests and demos (``limit`` keeps the most recent)."""

    def __init__(self, limit: int | None = None) -> None:
        self.calls: deque[AnsweredOutboundCall] = deque(maxlen=limit)

    async def on_outbound_answered(self, call: AnsweredOutboundCall) -> None:
        """Record the call."""
        self.calls.append(call)
