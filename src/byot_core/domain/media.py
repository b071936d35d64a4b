"""Where a call's audio goes: the agent's media WebSocket, the protocol it speaks, and who the call is.

An agent's media URL is its own, or a deployment-wide template such as ``wss://agents.example.com/calls/{agent_id}``
in which any of the call's fields (:data:`CALL_FIELDS`) may appear. Every connection carries who the call is: the
fields of :meth:`MediaCall.parameters`, as URL parameters (``asterisk`` protocol) or as ``start.customParameters``
(``twilio`` protocol, with ``callSid`` the execution id).
"""

from __future__ import annotations

import enum
import string
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import attrs

from byot_core.domain.errors import ValidationFailed

__all__ = [
    "CALL_FIELDS",
    "MediaCall",
    "MediaPlan",
    "MediaProtocol",
    "MediaStats",
    "MediaTarget",
    "check_media_url",
]

#: The call's fields a media URL template may name, in the order connections carry them.
CALL_FIELDS = ("execution_id", "account_id", "agent_id", "direction", "from_number", "to_number", "trunk_id")


class MediaProtocol(enum.Enum):
    """The protocol an agent's media WebSocket speaks."""

    #: Asterisk's own media WebSocket protocol (``chan_websocket``): Asterisk connects to the agent itself.
    ASTERISK = "asterisk"
    #: Twilio Media Streams: the library relays between Asterisk and the agent, translating.
    TWILIO = "twilio"


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed.single("media_url", "invalid_media_url", message)


def check_media_url(url: str, *, template: bool = False) -> str:
    """``url`` if it is a ``ws://`` or ``wss://`` URL with a host (and, for a template, only known fields).

    Raises ``ValidationFailed`` with a message that says what is wrong.
    """
    fields: list[str] = []
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(url) if name is not None]
    except ValueError as error:
        raise _invalid(f"media URL is not a valid template: {error}") from error
    unknown = sorted({f for f in fields if f not in CALL_FIELDS})
    if unknown and template:
        raise _invalid(f"media URL names unknown call fields: {', '.join(unknown)}")
    if fields and not template:
        raise _invalid("an agent's media URL cannot name call fields; use the deployment's template")
    probe = url.format(**dict.fromkeys(CALL_FIELDS, "x")) if template else url
    try:
        parts = urlsplit(probe)
        host, _ = parts.hostname, parts.port  # both raise for a malformed authority (a bad IPv6 literal, port)
    except ValueError as error:
        raise _invalid(f"media URL is malformed: {error}") from error
    if parts.scheme not in ("ws", "wss") or not host:
        raise _invalid("media URL must be ws:// or wss:// with a host")
    if parts.username or parts.password:
        raise _invalid("media URL cannot carry credentials")
    return url


def _without_query(url: str) -> str:
    """A URL for reprs: its query (which may carry a token) left out."""
    return repr(url.partition("?")[0] + ("?…" if "?" in url else ""))


@attrs.frozen
class MediaCall:
    """A live call to connect to its agent's media: its channel, and who the call is."""

    channel_id: str
    execution_id: str
    account_id: str
    agent_id: str
    direction: str
    from_number: str
    to_number: str
    trunk_id: str | None = None

    def parameters(self) -> dict[str, str]:
        """Who the call is, as the connection carries it (``trunk_id`` left out when unknown)."""
        values = {name: getattr(self, name) for name in CALL_FIELDS}
        return {name: value for name, value in values.items() if value is not None}


@attrs.frozen
class MediaTarget:
    """Where one call's audio goes: the agent's WebSocket URL and its protocol.

    The URL's query, which may carry a token, is left out of the ``repr``.
    """

    url: str = attrs.field(repr=_without_query)
    protocol: MediaProtocol


@attrs.frozen
class MediaPlan:
    """The deployment's media setting: a URL template for every agent, the protocol, and per-agent URLs.

    ``answer_within`` bounds, in seconds, how long a caller waits for the agent's media before being refused.
    """

    template: str = attrs.field(
        validator=lambda _, __, value: check_media_url(value, template=True), repr=_without_query
    )
    protocol: MediaProtocol = MediaProtocol.TWILIO
    answer_within: float = 5.0

    def target(self, call: MediaCall, agent_url: str | None = None) -> MediaTarget:
        """The call's target: the agent's own URL when it has one, else the template filled with the call's fields.

        Fields are percent-encoded, so a number's ``+`` cannot change the URL's shape.
        """
        if agent_url:
            return MediaTarget(agent_url, self.protocol)
        values = {name: quote(value, safe="") for name, value in _all_fields(call).items()}
        return MediaTarget(self.template.format(**values), self.protocol)


@attrs.frozen
class MediaStats:
    """What one call's media carried, and how it ended.

    ``ending`` is ``caller-left``, ``agent-closed``, ``agent-failed``, ``asterisk-closed``, ``not-connected`` or
    ``transferred`` (the agent was released by a transfer).
    Frame counts are known only where the library relays the audio (``twilio``); with ``asterisk``, Asterisk talks
    to the agent directly and they are ``None``, as are the relay's own figures: ``late_frames`` (frames of the
    agent's audio sent after Asterisk had run out while the relay held them: a gap the caller heard) and the latency
    the relay added to the caller's audio on its way to the agent, its mean and largest, in milliseconds.
    """

    protocol: MediaProtocol
    ending: str
    frames_to_agent: int | None = None
    frames_to_caller: int | None = None
    marks: int | None = None
    flushes: int | None = None
    dtmf: int | None = None
    detail: str | None = None
    late_frames: int | None = None
    added_latency_ms: float | None = None
    max_added_latency_ms: float | None = None

    @property
    def seconds_to_agent(self) -> float | None:
        """Seconds of the caller's audio sent to the agent (20 ms a frame)."""
        return None if self.frames_to_agent is None else round(self.frames_to_agent * 0.02, 2)

    @property
    def seconds_to_caller(self) -> float | None:
        """Seconds of the agent's audio sent towards the caller."""
        return None if self.frames_to_caller is None else round(self.frames_to_caller * 0.02, 2)


def _all_fields(call: MediaCall) -> Mapping[str, str]:
    return {name: getattr(call, name) or "" for name in CALL_FIELDS}
