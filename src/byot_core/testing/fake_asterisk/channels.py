"""The fake's channels: originated calls played by scripted gateways, inbound calls from carriers, and hang-ups.

Each outcome sends the events Asterisk sent for it when recorded: a refused call never enters the application; an
answered one rings, goes Up and enters Stasis; a hang-up is HangupRequest, (Dial status), StasisEnd, then
ChannelDestroyed with the Q.850 cause and, where a SIP response decided it, ``tech_cause``. ``ChannelDestroyed``
reaches an application after StasisEnd only if it subscribed to the channel.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from byot_core.testing.fake_asterisk.answers import AriError, now
from byot_core.testing.fake_asterisk.codecs import NATIVE_FORMAT, native_formats
from byot_core.testing.fake_asterisk.dialling import originate
from byot_core.testing.fake_asterisk.dialplan import DEFAULT_DIALPLAN, Dialplan
from byot_core.testing.fake_asterisk.hub import EventHub
from byot_core.testing.fake_asterisk.model import (
    CAUSE_TEXT,
    CAUSE_TO_SIP,
    REASON_TO_CAUSE,
    UNMAPPED_CAUSE_SIP,
    FakeChannel,
    GatewayPlay,
)
from byot_core.testing.fake_asterisk.sorcery import SorceryStore
from byot_core.testing.fake_asterisk.srtp import Offer

__all__ = ["ChannelBook"]


class ChannelBook:
    """The node's live and ended channels, the gateways' scripts, and what was dialled."""

    def __init__(
        self,
        store: SorceryStore,
        hub: EventHub,
        *,
        event_delay: float,
        timeout_delay: float,
        default_play: GatewayPlay,
        ring_scale: float = 0.0,
    ) -> None:
        self.store = store
        self.hub = hub
        self.event_delay = event_delay
        self.timeout_delay = timeout_delay
        self.default_play = default_play
        self.ring_scale = ring_scale
        #: Seconds an answering callee rings before it picks up (0: at once).
        self.answer_after = 0.0
        #: Every far party presses back the DTMF it is sent (as an IVR's echo test would).
        self.echo_keys = False
        #: The carrier's final NOTIFY for a REFER (a 2xx: it placed the new call, then ends the referred leg with a
        #: BYE), and how long it takes.
        self.refer_answer = 200
        self.refer_after = 0.2
        #: What each gateway's callees accept of the media offered (``host:port`` → offer; plain RTP otherwise),
        #: and the codecs they answer with, in their order (:data:`.codecs.DEFAULT_CODECS` otherwise).
        self.callee_media: dict[str, Offer] = {}
        self.callee_codecs: dict[str, tuple[str, ...]] = {}
        self.channels: dict[str, FakeChannel] = {}
        #: What every new call's far party says once bridged (μ-law).
        self.default_voice = b""
        self.ended: dict[str, FakeChannel] = {}
        self.scripts: dict[str, deque[GatewayPlay]] = {}
        self.dialled: list[tuple[str, str, str]] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        #: What inbound calls run through, from their endpoint's context.
        self.dialplan = Dialplan(DEFAULT_DIALPLAN)
        #: Called as a channel is destroyed, before it leaves the application (the media book takes it out of its
        #: bridge and closes its WebSocket).
        self.leaving: Callable[[FakeChannel], None] = lambda _: None

    def script(self, gateway: str, *plays: GatewayPlay) -> None:
        """What the gateway at ``host:port`` does with the next INVITEs; the last play repeats."""
        self.scripts[gateway] = deque(plays)

    def get(self, channel_id: str) -> FakeChannel:
        """A live channel, or 404."""
        channel = self.channels.get(channel_id)
        if channel is None:
            raise AriError(404, "Channel not found")
        return channel

    # -- events -----------------------------------------------------------------------------------------------

    def listeners(self, channel: FakeChannel) -> set[str]:
        """The applications that hear a channel's own events: those subscribed to it or to its endpoint.

        Asterisk forwards a channel's topic to its endpoint's, and the endpoint's to its technology's
        (``ast_channel_endpoint_set`` at allocation, ``endpoints.c``), and an application subscribed to an endpoint
        gets everything on that topic (``app.c``, ``forwards_create_endpoint``): so ``endpoint:PJSIP`` brings the
        events of every PJSIP channel from its creation. Read from Asterisk's source; an application hears an event
        once here, whichever way it reached it.
        """
        apps = set(channel.subscribers)
        if channel.endpoint:
            apps.update(self.hub.subscribed_to_endpoint(channel.endpoint))
        return apps

    def channel_event(self, channel: FakeChannel, type_: str, **extra: Any) -> None:
        """Send a channel's event to the application it is in and to those that hear it (:meth:`listeners`)."""
        event = {"type": type_, "timestamp": now(), "channel": channel.json(), **extra}
        apps = self.listeners(channel)
        if channel.in_stasis and channel.app:
            apps.add(channel.app)
        for app in apps:
            self.hub.send(app, event)

    def dial_event(self, channel: FakeChannel, status: str) -> None:
        """Send a ``Dial`` event of the channel's progress to the applications that hear it."""
        event = {
            "type": "Dial",
            "timestamp": now(),
            "dialstatus": status,
            "forward": "",
            "dialstring": f"{channel.exten}@{channel.endpoint}",
            "peer": channel.json(),
        }
        for app in self.listeners(channel):
            self.hub.send(app, event)

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Do ``action`` in ``delay`` seconds (:meth:`settle` waits for it)."""

        async def run() -> None:
            await asyncio.sleep(delay)
            action()

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until every scheduled event has been played."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- life of a channel ------------------------------------------------------------------------------------

    def new_pjsip(
        self, endpoint: str, exten: str, caller: str, context: str, cid: str | None, *, call_id: str
    ) -> FakeChannel:
        """A PJSIP channel on ``endpoint``, in state ``Down``, for the SIP dialog ``call_id``."""
        channel = FakeChannel(
            id=cid or f"1795780{next(self._ids):03d}.{next(self._seq)}",
            name=f"PJSIP/{endpoint}-{next(self._seq):08x}",
            endpoint=endpoint,
            state="Down",
            caller=caller,
            exten=exten,
            context=context,
            created=now(),
            call_id=call_id,
        )
        channel.voice += self.default_voice
        self.channels[channel.id] = channel
        return channel

    def new_channel(self, name: str, cid: str | None, *, context: str) -> FakeChannel:
        """A channel that is not a PJSIP call (a media channel), in state ``Down``."""
        channel = FakeChannel(
            id=cid or f"1795780{next(self._ids):03d}.{next(self._seq)}",
            name=name,
            endpoint="",
            state="Down",
            caller="",
            exten="s",
            context=context,
            created=now(),
            codecs=("ulaw",),  # the one format the fake's media channels take
        )
        self.channels[channel.id] = channel
        return channel

    def destroy(
        self,
        channel: FakeChannel,
        cause: int,
        sip: int | None,
        dialstatus: str | None = None,
        *,
        request_cause: int | None = None,
    ) -> None:
        """Hang the channel up in Asterisk's order: HangupRequest, (Dial status), StasisEnd, ChannelDestroyed.

        ``request_cause``, when given, is the hangup request's own cause (a media channel's differs from its end's).
        """
        if channel.id not in self.channels:
            return
        del self.channels[channel.id]
        self.ended[channel.id] = channel
        channel.hangup_cause = cause
        causes: dict[str, Any] = {"cause": cause}
        if sip is not None:
            causes["tech_cause"] = sip
        if request_cause is not None:
            self.channel_event(channel, "ChannelHangupRequest", **{**causes, "cause": request_cause})
        else:
            # A BYE from the far end shows as a hangup request without a cause; Asterisk's own hangups carry one.
            self.channel_event(channel, "ChannelHangupRequest", **({} if cause == 0 else {"soft": True, **causes}))
        if dialstatus is not None:
            self.dial_event(channel, dialstatus)
        self.leaving(channel)
        if channel.in_stasis:
            self.channel_event(channel, "StasisEnd")
        channel.in_stasis = False
        self.channel_event(channel, "ChannelDestroyed", cause_txt=CAUSE_TEXT.get(cause, "Unknown"), **causes)

    def originate(self, given: Mapping[str, Any]) -> FakeChannel:
        """``POST /ari/channels``: dial through an endpoint; the gateway's script decides what happens."""
        return originate(self, given)

    def remote_hang_up(self, channel_id: str) -> None:
        """The far end sends BYE without a Reason header (Asterisk reports cause 0)."""
        channel = self.channels.get(channel_id)
        if channel is not None:
            self.destroy(channel, 0, None)

    def refer(self, channel: FakeChannel, refer_to: str) -> None:
        """PJSIP transfers the channel's far end: a REFER once answered, a 302 while it still rings in.

        On a 2xx :attr:`refer_answer`, the carrier ends the leg with a BYE after :attr:`refer_after` seconds;
        otherwise the call goes on as it was.
        """
        if channel.state != "Up":
            channel.sip_answer = 302
            self.destroy(channel, 23, None)
            return
        channel.refers.append(refer_to)
        if 200 <= self.refer_answer < 300:
            self.later(self.refer_after, lambda: self.remote_hang_up(channel.id))

    def answer(self, channel_id: str) -> None:
        """``POST /ari/channels/{id}/answer``."""
        channel = self.get(channel_id)
        if not channel.in_stasis:
            raise AriError(409, "Channel not in Stasis application")
        if channel.state != "Up":
            channel.state = "Up"
            channel.sip_answer = 200
            channel.codecs = channel.codecs[:1]
            self.channel_event(channel, "ChannelStateChange")

    def hang_up(self, channel_id: str, reason_code: str | None, reason: str | None) -> None:
        """``DELETE /ari/channels/{id}``: an unanswered inbound channel answers the carrier by the cause."""
        channel = self.get(channel_id)
        if reason_code is not None and not reason_code.isdigit():
            raise AriError(400, "Invalid reason for hangup provided")
        if reason is not None and reason not in REASON_TO_CAUSE:
            raise AriError(400, "Invalid reason for hangup provided")
        cause = int(reason_code) if reason_code is not None else REASON_TO_CAUSE.get(reason or "normal", 16)
        if channel.state != "Up" and channel.sip_answer is None:
            channel.sip_answer = CAUSE_TO_SIP.get(cause, UNMAPPED_CAUSE_SIP)
        self.destroy(channel, cause, None)

    def variable(self, channel_id: str, name: str) -> str:
        """``GET /ari/channels/{id}/variable``."""
        channel = self.get(channel_id)
        if name == NATIVE_FORMAT:
            return native_formats(channel.codecs)
        if name not in channel.variables:
            raise AriError(404, "Provided variable was not found")
        return channel.variables[name]
