"""Dispatching telephony's call events to the use cases that own them."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

import attrs

from byot_core.domain.events import CallEvent, InboundCallArrived, RecordingEnded, TelephonyReconnected
from byot_core.services.calls import CallService
from byot_core.services.deps import Dependencies
from byot_core.services.inbound import InboundService
from byot_core.services.recordings import CallRecordings
from byot_core.services.sync import TelephonySync

__all__ = ["CallEventDispatcher"]

log = logging.getLogger(__name__)


@attrs.frozen
class CallEventDispatcher:
    """Sends each call event to inbound routing, execution tracking or recordings; reconnections to the sync loop."""

    deps: Dependencies
    calls: CallService
    inbound: InboundService
    sync: TelephonySync
    recordings: CallRecordings

    async def handle(self, event: CallEvent) -> None:
        """Handle one event; errors propagate (see :meth:`run` for the loop that survives them)."""
        if isinstance(event, InboundCallArrived):
            await self.inbound.handle_call(event)
        elif isinstance(event, RecordingEnded):
            await self.recordings.ended(event)
        elif isinstance(event, TelephonyReconnected):
            log.info("telephony node %s connected: reconciling", event.node)
            self.sync.node_connected()
        else:
            await self.calls.handle_event(event)

    async def run(self) -> None:
        """Handle telephony's events until the stream ends. One event failing is logged, never fatal to the loop."""
        events = self.deps.telephony.events()
        try:
            async for event in events:
                try:
                    await self.handle(event)
                except Exception:  # one bad event must not stop every later call from being tracked
                    log.exception("call event %s could not be handled", type(event).__name__)
        finally:
            if isinstance(events, AsyncGenerator):
                # Closed when the loop ends, cancelled or not: a stream left suspended would hold telephony's
                # connections open until it is collected.
                await events.aclose()
