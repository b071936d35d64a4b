"""Call events, as any telephony adapter reports them in domain terms."""

from __future__ import annotations

import attrs

from byot_core.domain.media import MediaStats

__all__ = [
    "AgentDisconnected",
    "AgentMediaFailed",
    "CallAnswered",
    "CallEnded",
    "CallEvent",
    "CallRinging",
    "CodecAgreed",
    "InboundCallArrived",
    "MediaEnded",
    "RecordingEnded",
    "TelephonyReconnected",
]


@attrs.frozen
class CallRinging:
    """The far end is alerting the callee (SIP 180/183; Asterisk state Ringing).

    ``sip_call_id``, on this and the other events of a channel, is the leg's SIP Call-ID when the adapter knows it.
    """

    channel_id: str
    sip_call_id: str | None = None


@attrs.frozen
class CallAnswered:
    """The call was answered (SIP 200; Asterisk state Up).

    ``in_application`` says whether the call is in the library's hands: for most telephony an answer is (the
    default). Asterisk reports an originated call's answer first (``False``), then its entry into one of the
    library's applications (``True``); an answered call that never enters one was dropped by the system.
    ``codec`` is the audio codec the two sides agreed on (``ulaw``, ``alaw``, ``opus``, …), when the adapter knows it
    at the answer (else it may report :class:`CodecAgreed` after).
    """

    channel_id: str
    in_application: bool = True
    sip_call_id: str | None = None
    codec: str | None = None


@attrs.frozen
class CodecAgreed:
    """The audio codec an answered channel agreed, reported after its answer by an adapter that must ask for it."""

    channel_id: str
    codec: str


@attrs.frozen
class CallEnded:
    """The channel is gone, with the Q.850 cause, the raw SIP response where known, and the cause's text."""

    channel_id: str
    q850_cause: int | None = None
    sip_code: int | None = None
    cause_text: str | None = None
    sip_call_id: str | None = None


@attrs.frozen
class AgentDisconnected:
    """The agent's media connection dropped; the call is being cleaned up (status ``call-disconnected``)."""

    channel_id: str


@attrs.frozen
class AgentMediaFailed:
    """The agent's media could not be connected, or failed mid-call; ``detail`` names the agent connection."""

    channel_id: str
    detail: str


@attrs.frozen
class MediaEnded:
    """The call's media connection is over; ``stats`` says what it carried and how it ended."""

    channel_id: str
    stats: MediaStats


@attrs.frozen
class InboundCallArrived:
    """A call to one of our DIDs reached the platform and waits for a decision.

    ``arrived_on_trunk_id`` is the trunk whose endpoint Asterisk matched, when the adapter can tell; ``sip_call_id``
    the Call-ID of the carrier's INVITE.
    """

    channel_id: str
    called: str
    source: str | None = None
    caller: str | None = None
    arrived_on_trunk_id: str | None = None
    sip_call_id: str | None = None


@attrs.frozen
class TelephonyReconnected:
    """A media-layer node is reachable again after being lost (or was reached for the first time).

    A restarted Asterisk forgets configuration pushed at runtime, so this is the cue to reconcile.
    """

    node: str


@attrs.frozen
class RecordingEnded:
    """A call's recording stopped (the call ended): ``seconds`` long, or ``failed`` saying why it was not made."""

    channel_id: str
    name: str
    seconds: float | None = None
    failed: str | None = None


CallEvent = (
    CallRinging
    | CallAnswered
    | CallEnded
    | CodecAgreed
    | AgentDisconnected
    | AgentMediaFailed
    | MediaEnded
    | RecordingEnded
    | InboundCallArrived
    | TelephonyReconnected
)
