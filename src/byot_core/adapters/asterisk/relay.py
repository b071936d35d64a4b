"""One call relayed between Asterisk's media WebSocket (``chan_websocket``, plain text) and a Twilio-protocol agent.

Two readers and one sender per call:

- Asterisk → agent: each binary frame becomes a ``media`` message (timestamp from the stream's start), ``DTMF_END``
  a ``dtmf``, ``MEDIA_MARK_PROCESSED`` the agent's ``mark``, ``MEDIA_XOFF``/``MEDIA_XON`` pause and resume sending;
- agent → Asterisk: ``media`` is queued in the :class:`Playout`, ``mark`` after it, ``clear`` sends ``FLUSH_MEDIA``
  and answers the dropped marks at once;
- the sender writes what the playout says is due, no faster than Asterisk plays it.

The relay ends when either side's WebSocket ends, or when :meth:`TwilioRelay.stop` is called (the caller left:
``stop`` is sent, then the agent's WebSocket is closed). :attr:`TwilioRelay.ending` says which.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time

import aiohttp
import attrs

from byot_core.adapters.media.playout import Playout, SendMark
from byot_core.adapters.media.twilio import AgentAudio, AgentClear, AgentMark, TwilioStream, read_agent_message

__all__ = ["Ending", "MediaFigures", "TwilioRelay"]

log = logging.getLogger(__name__)

#: How long a partial frame waits at least for the agent's next audio before it is played padded with silence (it
#: waits longer while Asterisk still has audio to play: see :meth:`Playout.partial_hold`).
PARTIAL_WAIT = 0.06
#: How long a relay waits for its own tasks, and for each WebSocket's close, once the call has ended.
STOP_WAIT = 2.0
#: Frames sent after Asterisk had been out of audio for longer than this, while the relay held them, are late: the
#: caller heard a gap the relay made (one frame: Asterisk plays one every 20 ms).
LATE_AFTER = 0.02


class Ending(enum.Enum):
    """How a relayed call's media ended."""

    CALLER_LEFT = "caller-left"
    AGENT_CLOSED = "agent-closed"
    AGENT_FAILED = "agent-failed"
    ASTERISK_CLOSED = "asterisk-closed"
    NOT_CONNECTED = "not-connected"
    TRANSFERRED = "transferred"


@attrs.define
class MediaFigures:
    """What one call's relay carried: frames each way, marks, flushes, keys, and how it ended.

    ``late_frames`` were sent to Asterisk after it had run out of audio while the relay held them (:data:`LATE_AFTER`);
    ``forwarding`` is the seconds each message from Asterisk took to be written to the agent (the latency the relay
    adds to what the agent hears), summed, with its largest and the number of messages.
    """

    frames_to_agent: int = 0
    frames_to_caller: int = 0
    marks: int = 0
    flushes: int = 0
    dtmf: int = 0
    ending: Ending | None = None
    detail: str = ""
    late_frames: int = 0
    forwarding: float = 0.0
    forwarding_max: float = 0.0
    forwarded: int = 0

    @property
    def added_latency(self) -> tuple[float, float] | None:
        """The mean and largest seconds the relay took to pass Asterisk's audio on (``None`` before any)."""
        return (self.forwarding / self.forwarded, self.forwarding_max) if self.forwarded else None


class TwilioRelay:
    """Relays one call; :meth:`run` returns when the call's media has ended."""

    def __init__(
        self,
        stream: TwilioStream,
        asterisk: aiohttp.ClientWebSocketResponse,
        agent: aiohttp.ClientWebSocketResponse,
        *,
        agent_name: str,
    ) -> None:
        self.stream = stream
        self.asterisk = asterisk
        self.agent = agent
        self.agent_name = agent_name
        self.playout = Playout()
        self.figures = MediaFigures()
        self._wake = asyncio.Event()
        self._done = asyncio.Event()
        self._started = time.monotonic()
        #: Since when what the playout holds has been waiting to be sent (``None`` while it holds nothing).
        self._held_since: float | None = None

    async def begin(self) -> None:
        """Send the agent ``connected`` and ``start``."""
        await self.agent.send_str(self.stream.connected())
        await self.agent.send_str(self.stream.start())
        self._started = time.monotonic()

    async def run(self) -> MediaFigures:
        """Relay until one side ends or :meth:`stop` is called; returns within :data:`STOP_WAIT` of the end."""
        tasks = [
            asyncio.create_task(self._from_asterisk(), name="relay-from-asterisk"),
            asyncio.create_task(self._from_agent(), name="relay-from-agent"),
            asyncio.create_task(self._send(), name="relay-send"),
            asyncio.create_task(self._done.wait(), name="relay-stop"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    # A side broke mid-send: the call cannot go on without it, so it ends as an agent failure.
                    log.warning("%s: %s failed: %r", self.agent_name, task.get_name(), error)
                    self._end(Ending.AGENT_FAILED, f"relay to {self.agent_name} broke ({type(error).__name__})")
        finally:
            # Set before cancelling: each loop also ends on its own once it sees the relay is over, so a
            # cancellation lost inside a timed wait (Python 3.11's wait_for can lose one) cannot keep it running.
            self._done.set()
            for task in tasks:
                task.cancel()
            _, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT)
            if stuck:
                names = ", ".join(sorted(t.get_name() for t in stuck))
                log.error("%s: relay task(s) still running after the call ended: %s", self.agent_name, names)
        if self.figures.ending in (Ending.CALLER_LEFT, Ending.TRANSFERRED):
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, RuntimeError):
                await self.agent.send_str(self.stream.stop())
        await self.close()
        return self.figures

    async def close(self) -> None:
        """Close both WebSockets, each waiting at most :data:`STOP_WAIT` for its peer."""
        await _close(self.agent, self.agent_name)
        await _close(self.asterisk, "Asterisk's media WebSocket")

    def stop(self, ending: Ending = Ending.CALLER_LEFT) -> None:
        """The caller left, or was transferred: end the relay (``stop`` is sent to the agent, its WebSocket closed)."""
        self._end(ending)

    def _end(self, ending: Ending, detail: str = "") -> None:
        if self.figures.ending is None:
            self.figures.ending = ending
            self.figures.detail = detail
        self._done.set()

    async def _from_asterisk(self) -> None:
        async for message in self.asterisk:
            if message.type is aiohttp.WSMsgType.BINARY:
                received = time.monotonic()
                self.figures.frames_to_agent += len(message.data) // 160
                timestamp = int((received - self._started) * 1000)
                await self.agent.send_str(self.stream.media(message.data, timestamp))
                took = time.monotonic() - received
                self.figures.forwarding += took
                self.figures.forwarding_max = max(self.figures.forwarding_max, took)
                self.figures.forwarded += 1
            elif message.type is aiohttp.WSMsgType.TEXT:
                await self._control(message.data)
            else:
                break
        self._end(Ending.ASTERISK_CLOSED)

    async def _control(self, text: str) -> None:
        command, _, rest = text.strip().partition(" ")
        if command == "MEDIA_MARK_PROCESSED":
            if self.playout.mark_played(rest):
                self.figures.marks += 1
                await self.agent.send_str(self.stream.mark(rest))
        elif command == "DTMF_END":
            fields = dict(item.partition(":")[::2] for item in rest.split())
            if fields.get("digit"):
                self.figures.dtmf += 1
                await self.agent.send_str(self.stream.dtmf(fields["digit"]))
        elif command == "MEDIA_XOFF":
            self.playout.xoff = True
        elif command == "MEDIA_XON":
            self.playout.xoff = False
            self._wake.set()
        elif command == "ERROR":
            log.warning("media channel error: %s", rest.strip())

    async def _from_agent(self) -> None:
        while True:
            message = await self.agent.receive()
            if message.type is aiohttp.WSMsgType.TEXT:
                await self._agent_message(message.data)
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                code = self.agent.close_code
                if code in (None, 1000, 1001):
                    self._end(Ending.AGENT_CLOSED)
                else:
                    self._end(Ending.AGENT_FAILED, f"{self.agent_name} closed the connection with code {code}")
                return
            elif message.type is aiohttp.WSMsgType.ERROR:
                error = self.agent.exception()
                self._end(Ending.AGENT_FAILED, f"{self.agent_name} connection broke ({type(error).__name__})")
                return
            # Binary messages are not part of the protocol: ignored, as Twilio ignores them.

    async def _agent_message(self, text: str) -> None:
        message = read_agent_message(text)
        if isinstance(message, AgentAudio):
            if self._held_since is None:
                self._held_since = asyncio.get_running_loop().time()
            self.playout.audio(message.payload)
        elif isinstance(message, AgentMark):
            self.playout.mark(message.name)
        elif isinstance(message, AgentClear):
            self.figures.flushes += 1
            cleared = self.playout.clear()
            await self.asterisk.send_str("FLUSH_MEDIA")
            for name in cleared:
                self.figures.marks += 1
                await self.agent.send_str(self.stream.mark(name))
        self._wake.set()

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._done.is_set():
            now = loop.time()
            late = self._late(now)
            due = self.playout.due(now)
            for item in due:
                if isinstance(item, SendMark):
                    await self.asterisk.send_str(f"MARK_MEDIA {item.name}")
                else:
                    self.figures.frames_to_caller += len(item) // 160
                    self.figures.late_frames += len(item) // 160 if late else 0
                    await self.asterisk.send_bytes(item)
            if due:
                self._held_since = now if self.playout.pending or self.playout.has_partial else None
            self._wake.clear()
            if self.playout.has_partial and not self.playout.pending:
                # Part of a frame waits for the agent's next audio. It is played padded with silence only once
                # Asterisk is about to run out of what it holds: an agent that keeps talking, in pieces of any
                # length, completes the frame before then, and nothing is inserted into its speech.
                if not await self._woken(self.playout.partial_hold(loop.time(), PARTIAL_WAIT)):
                    self.playout.finish_partial()
                    # Held on purpose (speech may still come): padded now, it is due now, and not late.
                    self._held_since = loop.time()
                continue
            await self._woken(self.playout.wait(loop.time()) or 0.02)

    def _late(self, now: float) -> bool:
        """Whether frames sent now are late: Asterisk ran out more than a frame ago while the relay held audio."""
        if self._held_since is None or self.playout.xoff or self.playout.queued(now) > 0:
            return False
        return now - max(self._held_since, self.playout.dry_at()) > LATE_AFTER

    async def _woken(self, seconds: float) -> bool:
        """Wait for the agent's audio or Asterisk's XON, at most ``seconds``; whether they came.

        ``asyncio.timeout`` rather than ``asyncio.wait_for``: on Python 3.11, a cancellation arriving as
        ``wait_for``'s wait completes is lost, and the loop calling it would never end.
        """
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            return False
        return True


async def _close(ws: aiohttp.ClientWebSocketResponse, who: str) -> None:
    """Close a WebSocket, waiting at most :data:`STOP_WAIT` for the peer's answer (a stuck peer cannot hold a stop)."""
    try:
        async with asyncio.timeout(STOP_WAIT):
            await ws.close()
    except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
        log.warning("%s: WebSocket not closed cleanly (%s)", who, type(error).__name__)
