"""A fake telephony: records the configuration it is given and plays scripted call outcomes as events.

Outcomes (:mod:`.fake_calls`) are scripted per gateway address and, optionally, per dialled number; each emits the
events Asterisk emits for it, with Asterisk's causes. Events queue up until delivered, either by :meth:`deliver`
(tests: deterministic, one step at a time) or through the :meth:`events` stream (a running application).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

from byot_core.adapters.fake_calls import PLAYS, EventQueue, FakeGatewayHealth, FakeRecordings, Outcome, PlacedCall
from byot_core.domain.causes import Q850
from byot_core.domain.errors import MediaUnavailable, TelephonyUnavailable
from byot_core.domain.events import (
    AgentDisconnected,
    AgentMediaFailed,
    CallAnswered,
    CallEnded,
    CallEvent,
    CallRinging,
    InboundCallArrived,
    MediaEnded,
)
from byot_core.domain.media import MediaCall, MediaStats, MediaTarget
from byot_core.domain.telephony import ChannelNow, GatewayStatus, OriginateRequest, TrunkConfig
from byot_core.domain.trunk import Trunk

__all__ = ["FakeTelephony", "Outcome", "PlacedCall"]


class FakeTelephony:
    """A telephony adapter without a media layer (no audio flows; media connections are only recorded).

    Set ``down = True`` to make every call raise, as an unreachable Asterisk would, and ``media_refused`` to a
    message to make agents' media unreachable.
    """

    def __init__(self, default_outcome: Outcome = Outcome.ANSWER, *, keep_history: bool = True) -> None:
        self.default_outcome = default_outcome
        # Tests read what was placed, answered and hung up; a long-running server must not keep it all.
        self.keep_history = keep_history
        self.down = False
        self.configs: dict[str, TrunkConfig] = {}
        self.placed: list[PlacedCall] = []
        self.answered: list[str] = []
        self.hangups: dict[str, int] = {}
        #: The DTMF each live channel's far end was sent, in order.
        self.dtmf: dict[str, str] = {}
        #: Gateways' health reports (see :meth:`set_reachable`).
        self.gateway_health = FakeGatewayHealth()
        self.media_refused: str | None = None
        self.media: dict[str, tuple[MediaCall, MediaTarget]] = {}
        #: Transfers put through: caller's channel → target's channel, while both are up.
        self.joined: dict[str, str] = {}
        #: The REFERs sent, by channel (Refer-To URIs in order); ``refer_accepted`` makes the carrier take the call
        #: over (it ends the channel with a BYE), else it keeps the call as it is.
        self.refers: dict[str, list[str]] = {}
        self.refer_accepted = True
        #: Recordings under way and finished (see :class:`FakeRecordings`).
        self.recorder = FakeRecordings()
        self._scripts: dict[tuple[str, str | None], deque[Outcome]] = {}
        self._live: set[str] = set()
        self._answered_live: set[str] = set()
        self._arrived_at: dict[str, float] = {}
        self._events = EventQueue()
        self._inbound_ids = itertools.count(1)

    def script(self, gateway_address: str, *outcomes: Outcome, dialled: str | None = None) -> None:
        """Queue outcomes for the next attempts through a gateway (to one dialled number, or to any).

        The last outcome repeats once the others are used.
        """
        self._scripts[(gateway_address, dialled)] = deque(outcomes)

    def _outcome_for(self, request: OriginateRequest) -> Outcome:
        for key in ((request.gateway.address, request.dialled), (request.gateway.address, None)):
            outcomes = self._scripts.get(key)
            if outcomes:
                return outcomes.popleft() if len(outcomes) > 1 else outcomes[0]
        return self.default_outcome

    def _check_up(self) -> None:
        if self.down:
            raise TelephonyUnavailable("Telephony is unreachable")

    def _check_answered(self, channel_id: str) -> None:
        self._check_up()
        if channel_id not in self._answered_live:
            raise TelephonyUnavailable(f"channel {channel_id} is not answered")

    def _end(self, channel_id: str) -> None:
        self.joined.pop(channel_id, None)
        ended = self.recorder.finish(channel_id)
        if ended is not None:
            self._events.emit(ended)
        self._live.discard(channel_id)
        self._answered_live.discard(channel_id)
        self._arrived_at.pop(channel_id, None)

    def _emit(self, *events: CallEvent) -> None:
        self._events.emit(*events)

    async def apply_trunk(self, config: TrunkConfig, *, thorough: bool = True) -> int:
        """Record the trunk's configuration; 1 if it changed, else 0."""
        self._check_up()
        changed = self.configs.get(config.trunk.id) != config
        self.configs[config.trunk.id] = config
        return int(changed)

    async def remove_trunk(self, trunk_id: str) -> int:
        """Forget the trunk's configuration; 1 if there was one, else 0."""
        self._check_up()
        return int(self.configs.pop(trunk_id, None) is not None)

    async def configured_trunks(self) -> frozenset[str]:
        """The trunks with a recorded configuration."""
        self._check_up()
        return frozenset(self.configs)

    def unreachable_gateways(self, trunk: Trunk) -> frozenset[str]:
        """The trunk's gateways reported down with :meth:`set_reachable`."""
        return self.gateway_health.unreachable(trunk)

    def gateway_status(self, trunk: Trunk) -> Mapping[str, GatewayStatus]:
        """The trunk's gateways as :meth:`set_reachable` reported them (unknown until then)."""
        return self.gateway_health.status(trunk)

    def set_reachable(self, trunk_id: str, gateway_id: str, reachable: bool, roundtrip_ms: float | None = None) -> None:
        """Play a health report (what Asterisk's qualify would say about the gateway), as of now."""
        self.gateway_health.report(trunk_id, gateway_id, reachable, roundtrip_ms)

    async def originate(self, request: OriginateRequest) -> None:
        """Play the scripted outcome of this attempt as events."""
        self._check_up()
        outcome = self._outcome_for(request)
        if self.keep_history:
            self.placed.append(PlacedCall(request, outcome))
        channel = request.channel_id
        self._live.add(channel)
        if outcome is Outcome.ANSWER_AND_HOLD:
            self._answered_live.add(channel)
            self._emit(CallRinging(channel), CallAnswered(channel))
            return
        rings, answered, cause, sip, text = PLAYS[outcome]
        events: list[CallEvent] = [CallRinging(channel)] if rings else []
        if answered:
            events.append(CallAnswered(channel))
        events.append(CallEnded(channel, cause, sip, text))
        self._end(channel)
        self._emit(*events)

    def incoming_call(
        self,
        called: str,
        *,
        source: str | None = None,
        caller: str | None = None,
        arrived_on_trunk_id: str | None = None,
    ) -> str:
        """Make a call arrive from a carrier; returns its channel id."""
        channel = f"inbound-{next(self._inbound_ids)}"
        self._live.add(channel)
        self._arrived_at[channel] = time.monotonic()
        self._emit(InboundCallArrived(channel, called, source, caller, arrived_on_trunk_id))
        return channel

    def remote_hang_up(self, channel_id: str) -> None:
        """The far end hangs up a live channel (a BYE without a Reason header: cause 0, as Asterisk reports)."""
        if channel_id in self._live:
            self._end(channel_id)
            self._emit(CallEnded(channel_id, 0, None, "Unknown"))
            self._media_ended(channel_id, "caller-left")

    async def answer(self, channel_id: str) -> None:
        """Answer an inbound channel."""
        self._check_up()
        if channel_id in self._live:
            if self.keep_history:
                self.answered.append(channel_id)
            self._answered_live.add(channel_id)
            self._emit(CallAnswered(channel_id))

    async def hang_up(self, channel_id: str, q850_cause: int = Q850.NORMAL_CLEARING) -> None:
        """End a channel with a cause."""
        self._check_up()
        if self.keep_history:
            self.hangups[channel_id] = q850_cause
        if channel_id in self._live:
            self._end(channel_id)
            self._emit(CallEnded(channel_id, q850_cause, None, None))
            self._media_ended(channel_id, "caller-left")

    async def send_dtmf(self, channel_id: str, digits: str) -> None:
        """Send keys to an answered channel's far end (recorded in :attr:`dtmf`)."""
        self._check_answered(channel_id)
        self.dtmf[channel_id] = self.dtmf.get(channel_id, "") + digits

    async def join(self, caller_channel_id: str, target_channel_id: str) -> None:
        """Bridge the two live channels (recorded in :attr:`joined`); the caller's agent media ends ``transferred``."""
        self._check_up()
        if caller_channel_id not in self._live or target_channel_id not in self._live:
            raise TelephonyUnavailable("a channel to join is gone")
        self.joined[caller_channel_id] = target_channel_id
        self._media_ended(caller_channel_id, "transferred")

    async def refer(self, channel_id: str, refer_to: str) -> None:
        """Send a REFER on an answered channel (recorded in :attr:`refers`); see :attr:`refer_accepted`."""
        self._check_answered(channel_id)
        self.refers.setdefault(channel_id, []).append(refer_to)
        if self.refer_accepted:
            self.remote_hang_up(channel_id)

    async def start_recording(self, channel_id: str, name: str) -> None:
        """Record an answered channel until it ends (no audio flows here: the file holds silence for its length)."""
        self._check_answered(channel_id)
        self.recorder.start(channel_id, name)

    async def recording_file(self, name: str) -> bytes:
        """A finished recording's WAV file."""
        self._check_up()
        if name not in self.recorder.stored:
            raise TelephonyUnavailable(f"no recording {name}")
        return self.recorder.stored[name]

    async def delete_recording(self, name: str) -> None:
        """Forget a finished recording."""
        self._check_up()
        self.recorder.stored.pop(name, None)

    async def follow(self, channel_id: str) -> ChannelNow:
        """What a live channel does now (answered, or still starting), or GONE once it ended."""
        self._check_up()
        if channel_id not in self._live:
            return ChannelNow.GONE
        return ChannelNow.ANSWERED if channel_id in self._answered_live else ChannelNow.STARTING

    async def sweep_orphans(self) -> int:
        """Nothing to sweep: this telephony keeps no media of its own."""
        self._check_up()
        return 0

    async def waiting_inbound(self, older_than: float) -> Sequence[str]:
        """Inbound calls that arrived at least ``older_than`` seconds ago and were neither answered nor ended."""
        self._check_up()
        now = time.monotonic()
        return [
            channel
            for channel, arrived in self._arrived_at.items()
            if channel in self._live and channel not in self._answered_live and now - arrived >= older_than
        ]

    async def connect_media(self, call: MediaCall, target: MediaTarget, *, within: float) -> None:
        """Record the connection (or refuse it with ``media_refused``); it lasts until the channel ends."""
        self._check_up()
        if self.media_refused is not None:
            raise MediaUnavailable(self.media_refused)
        if call.channel_id in self._live:
            self.media[call.channel_id] = (call, target)

    def agent_hangs_up(self, channel_id: str) -> None:
        """The agent closes its media connection normally."""
        if channel_id in self.media:
            self._emit(AgentDisconnected(channel_id))
            self._media_ended(channel_id, "agent-closed")

    def agent_fails(self, channel_id: str, detail: str = "connection lost") -> None:
        """The agent's media connection breaks mid-call."""
        if channel_id in self.media:
            self._emit(AgentMediaFailed(channel_id, detail))
            self._media_ended(channel_id, "agent-failed", detail)

    def _media_ended(self, channel_id: str, ending: str, detail: str | None = None) -> None:
        connected = self.media.pop(channel_id, None)
        if connected is not None:
            self._emit(MediaEnded(channel_id, MediaStats(connected[1].protocol, ending, detail=detail)))

    async def deliver(self, handle: Callable[[CallEvent], Awaitable[None]]) -> int:
        """Hand queued events to ``handle`` until none are left (those it causes too); return how many."""
        return await self._events.deliver(handle)

    def readiness(self) -> Sequence[str]:
        """Down (``down = True``) is not ready."""
        return ["the fake telephony is down"] if self.down else []

    def events(self) -> AsyncIterator[CallEvent]:
        """Queued events as a never-ending stream."""
        return self._events.stream()
