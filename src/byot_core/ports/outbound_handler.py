"""The outbound call handler port: where an answered outbound call is handed to the embedder's agent runtime."""

from __future__ import annotations

from typing import Protocol

from byot_core.domain.telephony import AnsweredOutboundCall

__all__ = ["OutboundCallHandler"]


class OutboundCallHandler(Protocol):
    """Takes an outbound call once the callee answered (for example by bridging its media to the agent's runtime)."""

    async def on_outbound_answered(self, call: AnsweredOutboundCall) -> None:
        """Take the call. Raising ends it: the channel is hung up with cause 41 (temporary failure)."""
