"""The fake's outbound calls: ``POST /ari/channels`` dials through an endpoint, and the gateway's script plays out.

As recorded from Asterisk 22: the creating application is subscribed to the channel at once; the gateway rings,
answers, is busy, congested, declines, or never answers (the originate's ``timeout`` ends a ringing call with cause
19); an answered call enters the application (``StasisStart``), unless no websocket is connected for it then: Stasis
fails, and the answered call is hung up at once, with cause 0 and no ``StasisStart`` (observed 2026-12-05).

An originate may name a dialplan ``context``, ``extension`` and ``label`` instead of an ``app``, with channel
``variables``; as Asterisk's source does it (``res/ari/resource_channels.c``): a label the dialplan lacks is refused
with 404 "Requested label can not be found" before anything is dialled, no application is subscribed to the channel,
and the answered call runs through the dialplan (:mod:`.dialplan`), entering the first connected application it
names or hanging up as the dialplan says.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from byot_core.testing.fake_asterisk.answers import AriError, now
from byot_core.testing.fake_asterisk.codecs import DEFAULT_CODECS, agreed
from byot_core.testing.fake_asterisk.dialplan import HungUp
from byot_core.testing.fake_asterisk.model import FakeChannel, GatewayPlay
from byot_core.testing.fake_asterisk.srtp import Offer, callee_answer

if TYPE_CHECKING:  # the book calls in here; only its type is needed
    from byot_core.testing.fake_asterisk.channels import ChannelBook

__all__ = ["originate"]


def originate(book: ChannelBook, given: Mapping[str, Any]) -> FakeChannel:
    """Place the call ``given`` describes (ARI's originate parameters) on ``book``'s node."""
    endpoint = str(given.get("endpoint", ""))
    app = str(given.get("app", ""))
    exten = str(given.get("extension", ""))
    context = str(given.get("context", "") or "default")
    tech, _sep, rest = endpoint.partition("/")
    number, _at, endpoint_id = rest.rpartition("@")
    if tech != "PJSIP" or not endpoint_id or not (app or exten):
        raise AriError(400, "Endpoint must be specified")
    label = str(given.get("label", ""))
    if not app and label and not book.dialplan.has_label(context, exten, label):
        raise AriError(404, "Requested label can not be found")
    fields = book.store.objects.get(("endpoint", endpoint_id))
    if fields is None:
        raise AriError(500, "Allocation failed")
    cid = given.get("channelId")
    if cid in book.channels:
        raise AriError(409, "Channel with given unique ID already exists")
    # Asterisk makes the Call-ID of a dialog it starts: a UUID (recorded ``protocol_id``).
    channel = book.new_pjsip(
        endpoint_id, number, str(given.get("callerId", "")), fields["context"], cid, call_id=str(uuid.uuid4())
    )
    variables = given.get("variables")
    if isinstance(variables, Mapping):
        channel.variables.update({str(k): str(v) for k, v in variables.items()})
    if app:
        channel.app = app
        channel.subscribers.add(app)
    else:
        channel.entry = (context, exten)
    timeout = given.get("timeout", 30)
    channel.ring_timeout = int(timeout) if isinstance(timeout, int | str) and str(timeout).isdigit() else 30
    aor = book.store.objects.get(("aor", fields["aors"].split(",")[0]), {})
    gateway = aor.get("contact", "").removeprefix("sip:")
    book.dialled.append((gateway, number, channel.id))
    plays = book.scripts.get(gateway)
    play = (plays.popleft() if len(plays) > 1 else plays[0]) if plays else book.default_play
    args = [a for a in str(given.get("appArgs", "")).split(",") if a]
    channel.codecs = agreed(fields, book.callee_codecs.get(gateway, DEFAULT_CODECS))
    no_codec = not channel.codecs and fields.get("allow", "()") != "()"
    if callee_answer(fields, book.callee_media.get(gateway, Offer.RTP)) is not None or no_codec:
        # The callee cannot take the media offered (SRTP required by one side only, or no codec in common): 488,
        # cause 58, at once.
        book.later(book.event_delay, lambda: book.destroy(channel, 58, 488, "CHANUNAVAIL"))
        return channel
    delay = book.timeout_delay if play is GatewayPlay.TIMEOUT else book.event_delay
    book.later(delay, lambda: _play(book, channel, play, args))
    return channel


def _play(book: ChannelBook, channel: FakeChannel, play: GatewayPlay, args: list[str]) -> None:
    rings, answers, cause, sip, dialstatus = play.value
    book.dial_event(channel, "")
    if rings:
        channel.state = "Ringing"
        book.channel_event(channel, "ChannelStateChange")
        book.dial_event(channel, "RINGING")
    if answers:
        # A callee may take its time to pick up (``answer_after``): the call rings until then.
        book.later(book.answer_after, lambda: _answered(book, channel, args, cause, sip, dialstatus))
        return
    assert cause is not None
    if play is GatewayPlay.NO_ANSWER and book.ring_scale:
        # Unanswered: Asterisk gives up when the originate's timeout runs out (cause 19, SIP 480, recorded).
        ring_for = (channel.ring_timeout or 30) * book.ring_scale
        book.later(ring_for, lambda: book.destroy(channel, cause, sip, dialstatus))
        return
    book.destroy(channel, cause, sip, dialstatus)


def _answered(
    book: ChannelBook, channel: FakeChannel, args: list[str], cause: int | None, sip: int | None, dialstatus: str
) -> None:
    if channel.id not in book.channels:
        return  # hung up while it rang
    channel.state = "Up"
    channel.codecs = channel.codecs[:1]
    book.channel_event(channel, "ChannelStateChange")
    book.dial_event(channel, dialstatus)
    connected = book.hub.connected_apps()
    if channel.entry is not None:
        outcome = book.dialplan.run(*channel.entry, connected.__contains__, channel.variables)
        if isinstance(outcome, HungUp):
            book.destroy(channel, outcome.cause, None)
            return
        channel.app, args = outcome.app, list(outcome.args)
    elif channel.app not in connected:
        book.destroy(channel, 0, None)
        return
    channel.in_stasis = True
    event = {"type": "StasisStart", "timestamp": now(), "args": args, "channel": channel.json()}
    book.hub.send(channel.app or "", event)
    if cause is not None:
        book.later(book.event_delay, lambda: book.destroy(channel, cause, sip))
