"""One call's media as the Asterisk adapter holds it, and the names it gives agents' connections."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import quote, urlsplit

import attrs

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed
from byot_core.adapters.asterisk.relay import Ending, MediaFigures, TwilioRelay
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.media import MediaCall, MediaStats, MediaTarget

__all__ = ["CLIENT_PREFIX", "MediaSession", "agent_name", "media_stats", "v_option", "websocket_client_id", "why"]

#: The prefix of every ``websocket_client`` object the adapter owns.
CLIENT_PREFIX = "byot-agent-"


def agent_name(url: str) -> str:
    """The agent connection as errors and logs name it: scheme, host, port and path (never a query or credential)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def websocket_client_id(url: str) -> str:
    """The ``websocket_client`` object for an agent URL: one per distinct URL, named from its digest."""
    return CLIENT_PREFIX + hashlib.sha256(url.encode()).hexdigest()[:20]


def v_option(parameters: dict[str, str]) -> str:
    """The ``v()`` option carrying who the call is to an agent's ``websocket_client`` connection."""
    # Asterisk adds v() to the URI as it is: values are percent-encoded here, so that a number's '+' does not arrive
    # as a space and a comma or parenthesis cannot end the option early.
    return "v(" + ",".join(f"{k}={quote(v, safe='')}" for k, v in parameters.items()) + ")"


@attrs.define(eq=False)
class MediaSession:
    """One call's media: its node, media channel, bridge, and (``twilio``) the relay."""

    call: MediaCall
    target: MediaTarget
    client: AriClient
    media_channel: str
    bridge_id: str
    relay: TwilioRelay | None = None
    task: asyncio.Task[None] | None = None
    figures: MediaFigures = attrs.field(factory=MediaFigures)
    ended: bool = False
    #: Asterisk said its connection to the agent dropped without a close (hangup request cause 38).
    agent_dropped: bool = False
    #: The call was transferred: the bridge now joins the caller with the target, and outlives the agent's media.
    transferred: bool = False


def media_stats(session: MediaSession) -> MediaStats:
    """What the session's media carried, for the execution (counts only where the library relayed the audio)."""
    figures = session.figures
    ending = (figures.ending or Ending.CALLER_LEFT).value
    if session.relay is None:
        return MediaStats(session.target.protocol, ending)
    latency = figures.added_latency
    return MediaStats(
        session.target.protocol,
        ending,
        frames_to_agent=figures.frames_to_agent,
        frames_to_caller=figures.frames_to_caller,
        marks=figures.marks,
        flushes=figures.flushes,
        dtmf=figures.dtmf,
        detail=figures.detail or None,
        late_frames=figures.late_frames,
        added_latency_ms=round(latency[0] * 1000, 3) if latency else None,
        max_added_latency_ms=round(latency[1] * 1000, 3) if latency else None,
    )


def why(error: BaseException) -> str:
    """An error's kind, without its text (which may hold a URL with parameters)."""
    if isinstance(error, AriRequestFailed | TelephonyUnavailable):
        return error.message
    return type(error).__name__
