"""What a relay owes Asterisk's media WebSocket: the agent's audio and marks, in order, at a pace Asterisk can take.

Pure bookkeeping, with the time passed in. Asterisk cuts binary messages into 160-byte frames and drops a shorter
leftover, plays one frame every 20 ms, sends ``MEDIA_XOFF`` at 900 queued frames and drops whole messages at 1,000
(``shared/asterisk/media``). So the playout:

- keeps a partial frame until the agent's next audio completes it, and pads it with silence only where it must be
  played now (before a mark, or when the agent has gone quiet and Asterisk is about to run out of audio), so no
  audio is ever lost and none is inserted while the agent keeps talking;
- sends no more than :attr:`ahead` frames beyond what Asterisk has played (an estimate from the time elapsed), and
  nothing while Asterisk says XOFF: Asterisk's queue stays far below its limits, and a ``clear`` has little to drop;
- remembers the marks sent to Asterisk, so that a flush can answer them, as Twilio does for cleared marks.
"""

from __future__ import annotations

import math
from collections import deque

import attrs

from byot_core.audio import FRAME_BYTES, FRAME_SECONDS, SILENCE

__all__ = ["Playout", "SendMark"]


@attrs.frozen
class SendMark:
    """Send ``MARK_MEDIA`` with this name (after the frames before it)."""

    name: str


class Playout:
    """The agent's audio and marks not yet sent to Asterisk, and an estimate of Asterisk's own queue."""

    def __init__(self, ahead: int = 25, limit: int = 30_000) -> None:
        #: Frames sent beyond what Asterisk has played, at most (25 frames: half a second).
        self.ahead = ahead
        #: Frames held at most (10 minutes); audio beyond is dropped and counted.
        self.limit = limit
        self._items: deque[bytes | SendMark] = deque()
        self._frames = 0
        self._partial = bytearray()
        self._sent_marks: deque[str] = deque()
        self._queued = 0.0
        self._queued_at = 0.0
        self.xoff = False
        self.dropped_bytes = 0

    def audio(self, payload: bytes) -> None:
        """Audio from the agent: whole frames are queued, the rest waits for more."""
        self._partial += payload
        whole = len(self._partial) - len(self._partial) % FRAME_BYTES
        for start in range(0, whole, FRAME_BYTES):
            if self._frames >= self.limit:
                self.dropped_bytes += whole - start
                break
            self._items.append(bytes(self._partial[start : start + FRAME_BYTES]))
            self._frames += 1
        del self._partial[:whole]

    def finish_partial(self) -> None:
        """Queue the partial frame, padded with silence (the agent paused, or a mark must follow its audio)."""
        if self._partial:
            self._items.append(bytes(self._partial) + bytes([SILENCE]) * (FRAME_BYTES - len(self._partial)))
            self._frames += 1
            self._partial.clear()

    def mark(self, name: str) -> None:
        """A mark from the agent: sent once every frame before it has been sent."""
        self.finish_partial()
        self._items.append(SendMark(name))

    def clear(self) -> list[str]:
        """The agent interrupts: drop every frame not yet played; returns every mark not yet played, in order.

        The caller sends ``FLUSH_MEDIA`` (Asterisk drops its queue and its marks unanswered) and answers the marks.
        """
        cleared = list(self._sent_marks) + [item.name for item in self._items if isinstance(item, SendMark)]
        self._items.clear()
        self._frames = 0
        self._partial.clear()
        self._sent_marks.clear()
        self._queued = 0.0
        return cleared

    def mark_played(self, name: str) -> bool:
        """Asterisk reached a mark: whether it was one sent for the agent (it is then forgotten)."""
        if name in self._sent_marks:
            self._sent_marks.remove(name)
            return True
        return False

    def queued(self, now: float) -> float:
        """Frames estimated in Asterisk's queue at ``now`` (it plays one every 20 ms)."""
        return max(0.0, self._queued - (now - self._queued_at) / FRAME_SECONDS)

    def dry_at(self) -> float:
        """When Asterisk's queue runs (or ran) out of what was sent, as estimated."""
        return self._queued_at + self._queued * FRAME_SECONDS

    def due(self, now: float) -> list[bytes | SendMark]:
        """What to send now, in order: runs of frames joined into one message each, and marks between them."""
        if self.xoff:
            return []
        # Rounded up (less a hair for float error): sending never puts Asterisk's queue past ``ahead``.
        budget = self.ahead - math.ceil(self.queued(now) - 1e-6)
        out: list[bytes | SendMark] = []
        run = bytearray()
        sent = 0
        while self._items:
            head = self._items[0]
            if isinstance(head, SendMark):
                if run:
                    out.append(bytes(run))
                    run.clear()
                out.append(self._items.popleft())
                self._sent_marks.append(head.name)
                continue
            if sent >= budget:
                break
            frame = self._items.popleft()
            assert isinstance(frame, bytes)  # a mark was handled above
            run += frame
            self._frames -= 1
            sent += 1
        if run:
            out.append(bytes(run))
        if sent:
            self._queued = self.queued(now) + sent
            self._queued_at = now
        return out

    @property
    def pending(self) -> bool:
        """Whether anything (frames or marks) waits to be sent."""
        return bool(self._items)

    @property
    def has_partial(self) -> bool:
        """Whether part of a frame waits for more audio."""
        return bool(self._partial)

    def partial_hold(self, now: float, least: float) -> float:
        """Seconds a partial frame may wait for more audio: until Asterisk has one frame left, and at least ``least``.

        Padding it sooner would put silence into speech that is still coming; later, Asterisk would run dry.
        """
        return max((self.queued(now) - 1) * FRAME_SECONDS, least)

    def wait(self, now: float) -> float:
        """Seconds until sending is worth trying again (a frame's worth of budget will have freed up)."""
        if self.xoff or not self._items:
            return FRAME_SECONDS * 5
        over = self.queued(now) - (self.ahead - 1)
        return max(0.0, over * FRAME_SECONDS)
