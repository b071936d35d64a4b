"""The fake's recordings of bridges: what the bridge mixes, 20 ms a tick, kept as a WAV file once stopped.

As recorded from Asterisk 22 (``shared/asterisk/media``): ``POST /bridges/{id}/record?name=…&format=wav&ifExists=…``
answers 201 ``{"name", "format", "state": "queued", "target_uri": "bridge:<id>"}`` and ``RecordingStarted`` follows;
``POST /recordings/live/{name}/stop`` answers 204 and ``RecordingFinished`` follows, with ``state`` ``done`` and the
whole seconds recorded as ``duration``. From Asterisk's source (``res/ari/resource_recordings.c``): a stored
recording's file is served as ``audio/wav``; an unknown name is 404 "Recording not found". A recording whose bridge is
destroyed is finished as if stopped (its recorder leaves the bridge).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from byot_core.audio import FRAME_SECONDS, wav
from byot_core.testing.fake_asterisk.answers import AriError, now

__all__ = ["Recorder"]


@attrs.define
class _Live:
    name: str
    bridge_id: str
    apps: set[str]
    audio: bytearray = attrs.field(factory=bytearray)
    frames: int = 0


class Recorder:
    """A node's live and stored recordings; ``send(app, event)`` delivers their events."""

    def __init__(self, send: Callable[[str, dict[str, Any]], None]) -> None:
        self._send = send
        self.live: dict[str, _Live] = {}
        #: Finished recordings' WAV files, by name.
        self.stored: dict[str, bytes] = {}

    def _event(self, live: _Live, type_: str, **recording: Any) -> None:
        body = {"name": live.name, "format": "wav", "target_uri": f"bridge:{live.bridge_id}", **recording}
        for app in live.apps:
            self._send(app, {"type": type_, "timestamp": now(), "recording": body})

    def start(self, bridge_id: str, query: dict[str, str], apps: set[str]) -> dict[str, Any]:
        """``POST /bridges/{id}/record``: start recording the bridge (the caller checked that it exists)."""
        name = query.get("name", "")
        if not name:
            raise AriError(400, "Recording name is required")
        if query.get("format") != "wav":
            raise AriError(422, "Format not supported")
        if name in self.live or (name in self.stored and query.get("ifExists", "fail") == "fail"):
            raise AriError(409, "Recording with the same name already exists on the system")
        live = self.live[name] = _Live(name, bridge_id, apps)
        self._event(live, "RecordingStarted", state="recording")
        return {"name": name, "format": "wav", "state": "queued", "target_uri": f"bridge:{bridge_id}"}

    def add(self, bridge_id: str, frame: bytes) -> None:
        """20 ms of what the bridge mixed."""
        for live in self.live.values():
            if live.bridge_id == bridge_id:
                live.audio += frame
                live.frames += 1

    def stop(self, name: str) -> None:
        """``POST /recordings/live/{name}/stop``: the file is kept, and ``RecordingFinished`` sent."""
        live = self.live.pop(name, None)
        if live is None:
            raise AriError(404, "Recording not found")
        self.stored[name] = wav(bytes(live.audio))
        self._event(live, "RecordingFinished", state="done", duration=int(live.frames * FRAME_SECONDS))

    def bridge_gone(self, bridge_id: str) -> None:
        """The bridge was destroyed: its recordings end as if stopped."""
        for name in [n for n, live in self.live.items() if live.bridge_id == bridge_id]:
            self.stop(name)

    def file(self, name: str) -> bytes:
        """``GET /recordings/stored/{name}/file``."""
        if name not in self.stored:
            raise AriError(404, "Recording not found")
        return self.stored[name]

    def delete(self, name: str) -> None:
        """``DELETE /recordings/stored/{name}``."""
        if self.stored.pop(name, None) is None:
            raise AriError(404, "Recording not found")
