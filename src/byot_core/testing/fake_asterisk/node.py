"""One fake Asterisk node: ARI over real HTTP and websockets on loopback, with faults to inject."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import deque
from collections.abc import Callable

from aiohttp import web

from byot_core.testing.fake_asterisk.answers import now
from byot_core.testing.fake_asterisk.channels import ChannelBook
from byot_core.testing.fake_asterisk.codecs import DEFAULT_CODECS
from byot_core.testing.fake_asterisk.dialplan import Dialplan
from byot_core.testing.fake_asterisk.hub import EventHub
from byot_core.testing.fake_asterisk.inbound import arrive
from byot_core.testing.fake_asterisk.media import DIAL_TIMEOUT, MediaBook
from byot_core.testing.fake_asterisk.model import FakeChannel, GatewayPlay
from byot_core.testing.fake_asterisk.routes import AriRoutes, endpoint_json
from byot_core.testing.fake_asterisk.sorcery import SorceryStore
from byot_core.testing.fake_asterisk.srtp import Offer

__all__ = ["FakeAsterisk"]


class FakeAsterisk:
    """One fake Asterisk node on loopback. ``await start()``, use :attr:`url`, ``await stop()``.

    Gateways without a script play ``default_play``. ``writable=False`` plays an Asterisk whose ``sorcery.conf`` has
    no writable wizard. ``resolve`` turns a hostname in ``match`` into addresses (the default knows none, as a
    resolver without network would). ``latency`` delays every REST answer, as a network between the library and
    Asterisk would, and ``jitter`` adds up to that many seconds more at random, so that requests overtake each
    other. ``port`` 0 lets the system choose one. ``ring_scale`` above 0 makes an unanswered call
    (``GatewayPlay.NO_ANSWER``) ring for its originate's ``timeout`` times that scale before it ends, as Asterisk's
    originate timeout ends it; 0 ends it at once. ``dial_timeout`` is how long a media channel nobody connects to
    lives.
    """

    def __init__(
        self,
        username: str = "byot",
        password: str = "secret",  # noqa: S107 - a test double's default
        *,
        writable: bool = True,
        resolve: Callable[[str], list[str]] | None = None,
        event_delay: float = 0.0,
        timeout_delay: float = 0.05,
        latency: float = 0.0,
        jitter: float = 0.0,
        default_play: GatewayPlay = GatewayPlay.ANSWER,
        port: int = 0,
        dial_timeout: float = DIAL_TIMEOUT,
        ring_scale: float = 0.0,
    ) -> None:
        self.port = port
        self.store = SorceryStore(writable=writable, resolve=resolve)
        self.hub = EventHub()
        self._call_numbers = itertools.count(1)
        self.book = ChannelBook(
            self.store,
            self.hub,
            event_delay=event_delay,
            timeout_delay=timeout_delay,
            default_play=default_play,
            ring_scale=ring_scale,
        )
        self.media = MediaBook(self.store, self.hub, self.book, dial_timeout=dial_timeout)
        self.routes = AriRoutes(
            self.store,
            self.hub,
            self.book,
            self.media,
            username=username,
            password=password,
            latency=latency,
            jitter=jitter,
        )
        self.restarts = 0
        self._runner: web.AppRunner | None = None

    # -- what tests read and script ---------------------------------------------------------------------------

    @property
    def objects(self) -> dict[tuple[str, str], dict[str, str]]:
        """Every PJSIP object the node holds, by (type, id)."""
        return self.store.objects

    @property
    def channels(self) -> dict[str, FakeChannel]:
        """Live channels by id."""
        return self.book.channels

    @property
    def ended(self) -> dict[str, FakeChannel]:
        """Ended channels by id, with how they ended."""
        return self.book.ended

    @property
    def dialled(self) -> list[tuple[str, str, str]]:
        """Every originate: (gateway ``host:port``, number, channel id)."""
        return self.book.dialled

    @property
    def requests(self) -> deque[tuple[str, str]]:
        """The most recent requests: (method, path below ``/ari``)."""
        return self.routes.requests

    @property
    def events_sent(self) -> int:
        """Events sent over websockets so far."""
        return self.hub.events_sent

    def owned(self, prefix: str = "byot-") -> dict[tuple[str, str], dict[str, str]]:
        """The objects whose id starts with ``prefix``."""
        return self.store.owned(prefix)

    def add_file_object(self, type_: str, object_id: str, fields: dict[str, str]) -> None:
        """An object from ``pjsip.conf``: readable, never writable or deletable over ARI, kept across restarts."""
        self.store.add_file_object(type_, object_id, fields)

    def script(self, gateway: str, *plays: GatewayPlay) -> None:
        """What the gateway at ``host:port`` does with the next INVITEs; the last play repeats."""
        self.book.script(gateway, *plays)

    def connected_apps(self) -> set[str]:
        """The applications with an open event websocket."""
        return self.hub.connected_apps()

    def subscriptions(self, app: str = "byot") -> frozenset[str]:
        """The event sources the application is subscribed to."""
        return self.hub.subscriptions(app)

    def inbound_call(
        self,
        did: str,
        source: str,
        *,
        port: int = 5060,
        caller: str = "sipp",
        offer: Offer = Offer.RTP,
        codecs: tuple[str, ...] = DEFAULT_CODECS,
        credentials: tuple[str, str] | None = None,
        call_id: str | None = None,
    ) -> FakeChannel:
        """A carrier at ``source`` sends an INVITE for ``did``, offering ``offer`` (plain RTP by default).

        ``codecs`` are the offer's, in its order (``ulaw`` alone by default, as SIPp offers); ``call_id`` the
        INVITE's Call-ID (by default one as SIPp makes them, ``<n>-<pid>@<source>``).

        An endpoint with ``auth`` challenges it (401) unless ``credentials`` (username, password) match the auth's.

        The endpoint is found as Asterisk finds it: the ``identify`` whose ``match`` holds the source, else an
        endpoint named ``anonymous`` if one exists, else the call is challenged (401). The call then runs through the
        dialplan (:meth:`load_dialplan`) from the endpoint's ``context``: it enters the first Stasis application that
        is connected, or is refused by the cause the dialplan hangs up with (603 when Stasis found no application
        connected, 403 for ``byot-reject``'s cause 21, 404 for an extension the context does not have).
        """
        call_id = call_id or f"{next(self._call_numbers)}-{os.getpid()}@{source}"
        return arrive(
            self.book, did, source, port=port, caller=caller, offer=offer, codecs=codecs, credentials=credentials,
            call_id=call_id,
        )  # fmt: skip

    def load_dialplan(self, text: str) -> None:
        """Replace the dialplan (``extensions.conf`` text), as ``dialplan reload`` would.

        The default is the one the documentation gives for application ``byot``. Raises ``ValueError`` on a line
        the fake does not understand.
        """
        self.book.dialplan = Dialplan(text)

    def remote_hang_up(self, channel_id: str) -> None:
        """The far end sends BYE without a Reason header (Asterisk reports cause 0)."""
        self.book.remote_hang_up(channel_id)

    def speak(self, channel_id: str, audio: bytes) -> None:
        """The call's far party says ``audio`` (μ-law) once bridged, 20 ms a tick, after what it already says."""
        self.book.get(channel_id).voice += audio

    def heard(self, channel_id: str) -> bytes:
        """What the call's far party has heard so far (μ-law, silence where nothing played), ended or not."""
        channel = self.book.channels.get(channel_id) or self.book.ended[channel_id]
        return bytes(channel.heard)

    def press(self, channel_id: str, digits: str) -> None:
        """The call's far party presses keys; the bridged media WebSocket gets ``DTMF_END`` for each."""
        self.media.press(channel_id, digits)

    @property
    def default_voice(self) -> bytes:
        """What every new call's far party says once bridged (μ-law); empty by default."""
        return self.book.default_voice

    @default_voice.setter
    def default_voice(self, audio: bytes) -> None:
        self.book.default_voice = audio

    def set_contact_status(self, aor: str, status: str, roundtrip_usec: int = 0) -> None:
        """Report a gateway's qualify result (``Reachable``, ``Unreachable``) to subscribed applications.

        ``roundtrip_usec`` is the OPTIONS round trip, sent as text as ARI sends it.
        """
        contact = self.store.objects.get(("aor", aor), {}).get("contact", "")
        for (type_, oid), fields in self.store.objects.items():
            if type_ == "endpoint" and aor in fields.get("aors", "").split(","):
                event = {
                    "type": "ContactStatusChange",
                    "timestamp": now(),
                    "contact_info": {
                        "uri": contact,
                        "contact_status": status,
                        "aor": aor,
                        "roundtrip_usec": str(roundtrip_usec),
                    },
                    "endpoint": endpoint_json(oid, self.book),
                }
                for app in self.hub.subscribed_to_endpoint(oid):
                    self.hub.send(app, event)

    async def settle(self) -> None:
        """Wait until every scheduled event has been sent."""
        await self.book.settle()
        await self.hub.settle()

    # -- life cycle and faults --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The HTTP base to give the ARI client (``http://127.0.0.1:<port>``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the node answers."""
        return self._runner is not None

    async def start(self) -> None:
        """Listen (on the same port as before, after a stop or restart)."""
        app = web.Application()
        app.router.add_route("*", "/ari/{tail:.*}", self.routes.dispatch)
        app.router.add_get("/media/{connection}", self.media.accept)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            # The port the OS chose; kept so that a restart comes back where clients expect it.
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop answering (connections refused), closing every websocket."""
        await self.media.close()
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restart(self, downtime: float = 0.0) -> None:
        """Restart Asterisk: objects pushed into memory, channels and subscriptions are gone; file objects stay.

        The node refuses connections for ``downtime`` seconds in between (a real restart took about 2.5 s).
        """
        await self.stop()
        await asyncio.sleep(downtime)
        self.store.restart()
        self.book.channels.clear()
        self.media.forget()
        self.hub.forget()
        self.restarts += 1
        await self.start()

    async def drop_websockets(self) -> None:
        """Close every event websocket (the network dropped them); REST keeps answering."""
        await self.hub.close_all()

    def fail_next(
        self, count: int, *, status: int = 500, path_contains: str = "", stall: float = 0.0, method: str = ""
    ) -> None:
        """Make the next ``count`` requests whose path contains ``path_contains`` fail.

        They answer ``status`` after ``stall`` seconds; with ``status=0`` they only stall, then answer normally (a
        client with a shorter timeout gives up first). ``method`` limits the fault to one HTTP method.
        """
        self.routes.faults += [(method.upper(), path_contains, status, stall)] * count

    def clear_faults(self) -> None:
        """Forget every fault still waiting to happen."""
        self.routes.faults.clear()
