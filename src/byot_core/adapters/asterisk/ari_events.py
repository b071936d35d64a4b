"""The ARI events the adapter uses, read from Asterisk's JSON into small typed records at the boundary.

Shapes follow the events recorded from Asterisk 22 (``shared/asterisk/captures``). :func:`read_event` returns
``None`` for event types the adapter has no use for and raises :class:`MalformedEvent` when a used type lacks a field
it needs, so the rest of the adapter never touches a raw dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "AriChannel",
    "AriEvent",
    "ChannelGone",
    "ChannelState",
    "ContactStatus",
    "DialStatus",
    "HangupRequested",
    "MalformedEvent",
    "RecordingDone",
    "StasisStarted",
    "ari_time",
    "read_event",
]


class MalformedEvent(ValueError):
    """An ARI event of a type the adapter uses, without a field it needs (or with one of the wrong type)."""


@attrs.frozen
class AriChannel:
    """What the adapter reads of a channel: its id, name (``PJSIP/<endpoint>-<seq>``), state, caller and extension."""

    id: str
    name: str
    state: str
    exten: str
    caller_number: str | None = None
    #: Whether the channel runs a Stasis application now (its dialplan ``app_name``): an originated channel that
    #: is answered runs ``AppDial2`` until the dialplan puts it into one.
    in_application: bool = False
    #: ``protocol_id``: the SIP Call-ID of a PJSIP channel (the carrier's, inbound; one Asterisk made, a UUID,
    #: outbound); ``None`` for channels without one (media channels report it empty).
    call_id: str | None = None


@attrs.frozen
class ChannelState:
    """``ChannelStateChange``: the channel moved to ``channel.state`` (``Ringing``, ``Up``, …)."""

    channel: AriChannel


@attrs.frozen
class DialStatus:
    """``Dial``: progress of a dial towards ``peer_id`` (``PROGRESS``, ``RINGING``, ``ANSWER``, ``BUSY``, …)."""

    peer_id: str
    status: str
    peer_call_id: str | None = None


@attrs.frozen
class ChannelGone:
    """``ChannelDestroyed``: the Q.850 ``cause``, the raw SIP response (``tech_cause``) and Asterisk's text."""

    channel_id: str
    cause: int | None
    tech_cause: int | None
    cause_txt: str | None
    call_id: str | None = None


@attrs.frozen
class HangupRequested:
    """``ChannelHangupRequest``: something asked for the channel's end, with a cause.

    A media channel whose WebSocket dropped without a close frame shows 38 here; its ``ChannelDestroyed`` shows 16
    (bridged) or 0, as after a clean close.
    """

    channel_id: str
    cause: int | None


@attrs.frozen
class StasisStarted:
    """``StasisStart``: the channel entered the application, with the application's arguments."""

    channel: AriChannel
    args: tuple[str, ...]


@attrs.frozen
class ContactStatus:
    """``ContactStatusChange``: the qualify result of one AOR's contact (``Reachable``, ``Unreachable``, …).

    ``roundtrip_usec`` is the OPTIONS round trip (ARI sends it as text; ``None`` when not a positive number), ``at``
    the event's timestamp (``None`` when it cannot be read).
    """

    aor: str
    status: str
    roundtrip_usec: int | None = None
    at: datetime | None = None


@attrs.frozen
class RecordingDone:
    """``RecordingFinished`` (``duration`` seconds) or ``RecordingFailed`` (``cause``) of a live recording.

    ``target`` is what was recorded (``bridge:<id>``, ``channel:<id>``).
    """

    name: str
    target: str
    duration: int | None = None
    failed: str | None = None


#: Every record :func:`read_event` can return.
AriEvent = ChannelState | DialStatus | ChannelGone | HangupRequested | StasisStarted | ContactStatus | RecordingDone


def _object(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{key} is not an object")
    return value


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} is not a string")
    return value


def ari_time(text: str) -> datetime | None:
    """An ARI timestamp (``2026-11-29T13:30:32.373+0000``), or ``None`` when it cannot be read."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def _number(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"{key} is not an integer")
    return value


def _call_id(channel: Mapping[str, Any]) -> str | None:
    value = channel.get("protocol_id")
    return value if isinstance(value, str) and value else None


def _channel(raw: Mapping[str, Any], key: str = "channel") -> AriChannel:
    channel = _object(raw, key)
    dialplan = channel.get("dialplan")
    caller = channel.get("caller")
    number = caller.get("number") if isinstance(caller, Mapping) else None
    return AriChannel(
        id=_text(channel, "id"),
        name=str(channel.get("name", "")),
        state=str(channel.get("state", "")),
        exten=str(dialplan.get("exten", "")) if isinstance(dialplan, Mapping) else "",
        caller_number=number if isinstance(number, str) and number else None,
        in_application=isinstance(dialplan, Mapping) and dialplan.get("app_name") == "Stasis",
        call_id=_call_id(channel),
    )


def read_event(raw: Mapping[str, Any]) -> AriEvent | None:
    """The typed record of one ARI event, or ``None`` if the adapter does not use its type."""
    kind = raw.get("type")
    if kind == "ChannelStateChange":
        return ChannelState(_channel(raw))
    if kind == "Dial":
        peer = _object(raw, "peer")
        return DialStatus(_text(peer, "id"), str(raw.get("dialstatus", "")), _call_id(peer))
    if kind == "ChannelDestroyed":
        cause_txt = raw.get("cause_txt")
        gone = _object(raw, "channel")
        return ChannelGone(
            _text(gone, "id"),
            _number(raw, "cause"),
            _number(raw, "tech_cause"),
            cause_txt if isinstance(cause_txt, str) else None,
            _call_id(gone),
        )
    if kind == "ChannelHangupRequest":
        return HangupRequested(_text(_object(raw, "channel"), "id"), _number(raw, "cause"))
    if kind == "StasisStart":
        args = raw.get("args", [])
        if not isinstance(args, list):
            raise MalformedEvent("args is not a list")
        return StasisStarted(_channel(raw), tuple(str(a) for a in args))
    if kind in ("RecordingFinished", "RecordingFailed"):
        recording = _object(raw, "recording")
        name, target = _text(recording, "name"), str(recording.get("target_uri", ""))
        if kind == "RecordingFinished":
            return RecordingDone(name, target, duration=_number(recording, "duration"))
        return RecordingDone(name, target, failed=str(recording.get("cause") or "recording failed"))
    if kind == "ContactStatusChange":
        info = _object(raw, "contact_info")
        roundtrip = str(info.get("roundtrip_usec", ""))
        usec = int(roundtrip) if roundtrip.isdigit() and int(roundtrip) > 0 else None
        return ContactStatus(
            _text(info, "aor"), _text(info, "contact_status"), usec, ari_time(str(raw.get("timestamp", "")))
        )
    return None
