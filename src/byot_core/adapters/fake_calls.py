"""What the fake telephony plays: the far end's scripted outcomes (as Asterisk reports each), and its recordings."""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import attrs

from byot_core.audio import SAMPLE_RATE, SILENCE, wav
from byot_core.domain.events import CallAnswered, CallEnded, CallEvent, CallRinging, InboundCallArrived, RecordingEnded
from byot_core.domain.telephony import NOT_REPORTED, GatewayStatus, OriginateRequest, Reachability
from byot_core.domain.trunk import Trunk

__all__ = ["PLAYS", "EventQueue", "FakeGatewayHealth", "FakeRecordings", "Outcome", "PlacedCall"]


class Outcome(enum.Enum):
    """What the far end does with an attempt."""

    ANSWER = "answer"
    ANSWER_AND_HOLD = "answer-and-hold"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    REJECT = "reject"
    INVALID_NUMBER = "invalid-number"
    CONGESTION = "congestion"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"


#: (rings first, answered, Q.850 cause, SIP response, cause text) per outcome, as recorded from Asterisk 22 (a 486 is
#: cause 17 with ``tech_cause`` 486, a 503 is cause 34, a remote BYE after answer is cause 0).
PLAYS: dict[Outcome, tuple[bool, bool, int | None, int | None, str]] = {
    Outcome.ANSWER: (True, True, 0, None, "Unknown"),
    Outcome.BUSY: (False, False, 17, 486, "User busy"),
    Outcome.NO_ANSWER: (True, False, 19, 480, "No answer"),
    Outcome.REJECT: (False, False, 21, 603, "Call Rejected"),
    Outcome.INVALID_NUMBER: (False, False, 1, 404, "Unallocated (unassigned) number"),
    Outcome.CONGESTION: (False, False, 34, 503, "Circuit/channel congestion"),
    Outcome.TIMEOUT: (False, False, 18, 408, "No user responding"),
    Outcome.UNREACHABLE: (False, False, 27, None, "Destination out of order"),
}


@attrs.define
class PlacedCall:
    """An attempt the fake was asked to place, and what it played."""

    request: OriginateRequest
    outcome: Outcome


class FakeRecordings:
    """Recordings of answered channels: silence for as long as each lasted (no audio flows in the fake telephony)."""

    def __init__(self) -> None:
        #: Under way: channel → name and when it started.
        self.live: dict[str, tuple[str, float]] = {}
        #: Finished: name → WAV bytes.
        self.stored: dict[str, bytes] = {}

    def start(self, channel_id: str, name: str) -> None:
        """Record the channel from now."""
        self.live[channel_id] = (name, time.monotonic())

    def finish(self, channel_id: str) -> RecordingEnded | None:
        """The channel ended: its recording is stored, and the event saying so returned (``None`` if none)."""
        recording = self.live.pop(channel_id, None)
        if recording is None:
            return None
        name, started = recording
        seconds = round(time.monotonic() - started, 2)
        self.stored[name] = wav(bytes([SILENCE]) * int(seconds * SAMPLE_RATE))
        return RecordingEnded(channel_id, name, seconds)


class EventQueue:
    """The call events a fake telephony reports, in order: handed over by a test, or streamed to a server."""

    def __init__(self) -> None:
        self._pending: deque[CallEvent] = deque()
        self._arrived = asyncio.Event()

    def emit(self, *events: CallEvent) -> None:
        """Queue events, each channel's with a SIP Call-ID of its own, and the codec of an answer (μ-law)."""
        self._pending.extend(_as_sip_reports(event) for event in events)
        self._arrived.set()

    async def deliver(self, handle: Callable[[CallEvent], Awaitable[None]]) -> int:
        """Hand queued events to ``handle`` one by one until none are left; return how many were delivered.

        Events that handling causes (a failover's next attempt, an answer) are delivered in the same call.
        """
        count = 0
        while self._pending:
            await handle(self._pending.popleft())
            count += 1
        return count

    async def stream(self) -> AsyncIterator[CallEvent]:
        """Queued events as a never-ending stream."""
        while True:
            while self._pending:
                yield self._pending.popleft()
            self._arrived.clear()
            await self._arrived.wait()


class FakeGatewayHealth:
    """Gateways' health reports as a test or a demo plays them (what Asterisk's qualify would say)."""

    def __init__(self) -> None:
        #: The last report of each gateway, by (trunk id, gateway id).
        self.reports: dict[tuple[str, str], GatewayStatus] = {}

    def report(self, trunk_id: str, gateway_id: str, reachable: bool, roundtrip_ms: float | None = None) -> None:
        """A report as of now; ``since`` moves only when the reachability changes."""
        state = Reachability.REACHABLE if reachable else Reachability.UNREACHABLE
        before = self.reports.get((trunk_id, gateway_id))
        since = before.since if before is not None and before.reachability is state else datetime.now(UTC)
        self.reports[(trunk_id, gateway_id)] = GatewayStatus(state, roundtrip_ms if reachable else None, since)

    def status(self, trunk: Trunk) -> dict[str, GatewayStatus]:
        """The trunk's gateways by id (unknown until reported)."""
        return {g.id: self.reports.get((trunk.id, g.id), NOT_REPORTED) for g in trunk.gateways}

    def unreachable(self, trunk: Trunk) -> frozenset[str]:
        """The trunk's gateways last reported unreachable."""
        return frozenset(g for g, s in self.status(trunk).items() if s.reachability is Reachability.UNREACHABLE)


def _as_sip_reports(event: CallEvent) -> CallEvent:
    """The event with what SIP telephony reports beside it: the leg's Call-ID and, on an answer, the codec.

    The Call-ID is made from the channel's id (this telephony has no SIP); the codec is μ-law, the only audio the
    fake's agents are given.
    """
    if isinstance(event, CallAnswered):
        return attrs.evolve(event, sip_call_id=f"{event.channel_id}@byot-fake", codec="ulaw")
    if isinstance(event, CallRinging | CallEnded | InboundCallArrived):
        return attrs.evolve(event, sip_call_id=f"{event.channel_id}@byot-fake")
    return event
