"""The far side of one media WebSocket channel, as ``chan_websocket`` plays it (plain-text control messages).

As recorded from Asterisk 22 (``shared/asterisk/media``): binary messages are cut into 160-byte frames and queued, a
shorter leftover is dropped; one frame plays every 20 ms; ``MEDIA_XOFF`` once the queue reaches 900 frames and
``MEDIA_XON`` once it is back under 800; a message that arrives with 1,000 frames queued is dropped whole;
``MARK_MEDIA`` is answered ``MEDIA_MARK_PROCESSED`` when playback reaches it; ``FLUSH_MEDIA`` empties the queue and
drops queued marks unanswered; ``PAUSE_MEDIA``/``CONTINUE_MEDIA``; ``GET_STATUS``; ``HANGUP``; text messages longer
than 128 bytes and unknown commands are ignored; a binary message over 65,535 bytes closes with 1009.
"""

from __future__ import annotations

import asyncio
from collections import deque

import attrs

from byot_core.audio import FRAME_BYTES

__all__ = ["MAX_QUEUE", "XOFF_LEVEL", "XON_LEVEL", "MediaSocket"]

#: Frames queued at which further messages are dropped whole.
MAX_QUEUE = 1000
#: Frames queued at which ``MEDIA_XOFF`` is sent.
XOFF_LEVEL = 900
#: Frames queued under which ``MEDIA_XON`` is sent after an XOFF.
XON_LEVEL = 800
#: The longest text message Asterisk reads; longer ones are ignored.
MAX_TEXT = 128


@attrs.define
class _Mark:
    name: str


class MediaSocket:
    """The queue and control state of one media channel's WebSocket; ``send`` writes text to the peer."""

    def __init__(self, channel_id: str) -> None:
        self.channel_id = channel_id
        self.queue: deque[bytes | _Mark] = deque()
        self.frames_queued = 0
        self.paused = False
        self.xoff = False
        self.dropped_messages = 0
        self.outbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.hangup_requested = False
        #: When a list, the time (``time.monotonic()``) each binary frame was written to the WebSocket.
        self.sent_at: list[float] | None = None

    def _say(self, text: str) -> None:
        self.outbox.put_nowait(text)

    def status(self) -> str:
        """The answer to ``GET_STATUS``."""
        full = "true" if self.frames_queued >= MAX_QUEUE else "false"
        paused = "true" if self.paused else "false"
        return (
            f"STATUS channel_id:{self.channel_id} queue_length:{self.frames_queued} xon_level:{XON_LEVEL} "
            f"xoff_level:{XOFF_LEVEL} queue_full:{full} bulk_media:false media_paused:{paused}"
        )

    def binary(self, data: bytes) -> None:
        """Audio from the program: whole frames are queued, a shorter leftover is dropped."""
        if self.frames_queued >= MAX_QUEUE:
            self.dropped_messages += 1
            return
        for start in range(0, len(data) - FRAME_BYTES + 1, FRAME_BYTES):
            self.queue.append(data[start : start + FRAME_BYTES])
            self.frames_queued += 1
        if not self.xoff and self.frames_queued >= XOFF_LEVEL:
            self.xoff = True
            self._say("MEDIA_XOFF")

    def text(self, message: str) -> None:
        """A control message from the program."""
        if len(message.encode()) > MAX_TEXT:
            return
        command, _, argument = message.strip().partition(" ")
        if command == "MARK_MEDIA":
            self.queue.append(_Mark(argument))
        elif command == "FLUSH_MEDIA":
            self.queue.clear()
            self.frames_queued = 0
            self._check_xon()
        elif command == "PAUSE_MEDIA":
            self.paused = True
        elif command == "CONTINUE_MEDIA":
            self.paused = False
        elif command == "GET_STATUS":
            self._say(self.status())
        elif command == "HANGUP":
            self.hangup_requested = True
        elif command == "SET_MEDIA_DIRECTION":
            self._say(f"ERROR channel_id:{self.channel_id} error_text:SET_MEDIA_DIRECTION only supports JSON format.\n")
        # Anything else is ignored, as Asterisk does (it only logs a warning).

    def _check_xon(self) -> None:
        if self.xoff and self.frames_queued < XON_LEVEL:
            self.xoff = False
            self._say("MEDIA_XON")

    def play(self) -> bytes | None:
        """One 20 ms tick of playback: the frame played, if any; marks reached on the way are answered."""
        if self.paused:
            return None
        frame = None
        while self.queue:
            head = self.queue[0]
            if isinstance(head, _Mark):
                self.queue.popleft()
                self._say(f"MEDIA_MARK_PROCESSED {head.name}")
                continue
            if frame is not None:
                break
            self.queue.popleft()
            self.frames_queued -= 1
            frame = head
        self._check_xon()
        return frame
