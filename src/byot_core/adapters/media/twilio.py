"""The Twilio Media Streams protocol, as the relay speaks it to an agent: pure translation, no I/O.

Messages to the agent, shaped as Twilio's documentation shows them: ``connected``; ``start`` (``streamSid``,
``accountSid``, ``callSid`` = the execution id, ``tracks`` ``["inbound"]``, ``customParameters`` = who the call is,
``mediaFormat`` μ-law 8000 Hz mono); ``media`` (``track`` ``inbound``, ``chunk`` counting from 1, ``timestamp`` in
milliseconds since the stream started, base64 ``payload``); ``dtmf``; ``mark`` (when audio queued before it has
played, or when a ``clear`` dropped it); ``stop``. Every message after ``connected`` carries a ``sequenceNumber``
counting from 1, as a string. From the agent: ``media``, ``mark`` and ``clear``; anything else is ignored, as
Twilio ignores it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import attrs

from byot_core.domain.media import MediaCall

__all__ = ["AgentAudio", "AgentClear", "AgentMark", "AgentMessage", "TwilioStream", "read_agent_message"]


@attrs.frozen
class AgentAudio:
    """Audio from the agent to play to the caller (μ-law bytes)."""

    payload: bytes


@attrs.frozen
class AgentMark:
    """The agent asks to be told when the audio it sent so far has played."""

    name: str


@attrs.frozen
class AgentClear:
    """The agent interrupts: audio not yet played is dropped (its marks are answered)."""


#: What an agent may send.
AgentMessage = AgentAudio | AgentMark | AgentClear


def read_agent_message(text: str) -> AgentMessage | None:
    """One text message from the agent, or ``None`` when it is not one the protocol knows (it is then ignored)."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    event = message.get("event")
    if event == "media":
        media = message.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str):
            return None
        try:
            return AgentAudio(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            return None
    if event == "mark":
        mark = message.get("mark")
        name = mark.get("name") if isinstance(mark, dict) else None
        return AgentMark(name) if isinstance(name, str) else None
    if event == "clear":
        return AgentClear()
    return None


class TwilioStream:
    """The messages of one stream to the agent, numbered in order."""

    def __init__(self, call: MediaCall, stream_sid: str) -> None:
        self.call = call
        self.stream_sid = stream_sid
        self._sid_json = json.dumps(stream_sid)
        self._sequence = 0
        self._chunk = 0

    def _next(self, event: str, body: dict[str, Any]) -> str:
        self._sequence += 1
        return json.dumps(
            {"event": event, "sequenceNumber": str(self._sequence), **body, "streamSid": self.stream_sid},
            separators=(",", ":"),
        )

    @staticmethod
    def connected() -> str:
        """The first message."""
        return json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}, separators=(",", ":"))

    def start(self) -> str:
        """The stream's metadata, with who the call is in ``customParameters``."""
        return self._next(
            "start",
            {
                "start": {
                    "streamSid": self.stream_sid,
                    "accountSid": self.call.account_id,
                    "callSid": self.call.execution_id,
                    "tracks": ["inbound"],
                    "customParameters": self.call.parameters(),
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                }
            },
        )

    def media(self, audio: bytes, timestamp_ms: int) -> str:
        """The caller's audio."""
        # Fifty of these a second per call: written directly (the JSON json.dumps gives, at a seventh of the cost);
        # every value is digits or base64, and the stream id is escaped once.
        self._chunk += 1
        self._sequence += 1
        payload = base64.b64encode(audio).decode("ascii")
        return (
            f'{{"event":"media","sequenceNumber":"{self._sequence}","media":{{"track":"inbound",'
            f'"chunk":"{self._chunk}","timestamp":"{timestamp_ms}","payload":"{payload}"}},'
            f'"streamSid":{self._sid_json}}}'
        )

    def dtmf(self, digit: str) -> str:
        """A key the caller pressed."""
        return self._next("dtmf", {"dtmf": {"track": "inbound_track", "digit": digit}})

    def mark(self, name: str) -> str:
        """A mark the agent sent has played (or was cleared)."""
        return self._next("mark", {"mark": {"name": name}})

    def stop(self) -> str:
        """The stream ends (the caller hung up)."""
        return self._next("stop", {"stop": {"accountSid": self.call.account_id, "callSid": self.call.execution_id}})
