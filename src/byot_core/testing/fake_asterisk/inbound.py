"""A carrier's INVITE arriving at the fake node: the endpoint found, the carrier challenged, the offer answered.

As a real Asterisk 22 did it (``shared/asterisk``): the endpoint is the one whose ``identify`` matches the source
(else ``anonymous``, else the call is challenged, 401); an endpoint with ``auth`` challenges the INVITE and challenges
it again for wrong credentials (401 again, never 403), and nothing is routed; a media offer the endpoint's encryption
cannot take is refused with 488 (:mod:`.srtp`, :mod:`.codecs`); then the dialplan runs from the endpoint's context.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING

from byot_core.testing.fake_asterisk.answers import now
from byot_core.testing.fake_asterisk.codecs import DEFAULT_CODECS, agreed
from byot_core.testing.fake_asterisk.dialplan import Entered
from byot_core.testing.fake_asterisk.model import CAUSE_TO_SIP, UNMAPPED_CAUSE_SIP, FakeChannel
from byot_core.testing.fake_asterisk.sorcery import network
from byot_core.testing.fake_asterisk.srtp import NOT_ACCEPTABLE, Offer, answer_offer

if TYPE_CHECKING:
    from byot_core.testing.fake_asterisk.channels import ChannelBook

__all__ = ["arrive"]


def _authenticated(book: ChannelBook, endpoint: Mapping[str, str], credentials: tuple[str, str] | None) -> bool:
    """Whether the INVITE gets through the endpoint's ``auth`` (digest): no auth, or its username and password."""
    auth_id = endpoint.get("auth", "")
    if not auth_id:
        return True
    auth = book.store.objects.get(("auth", auth_id), {})
    return credentials is not None and credentials == (auth.get("username"), auth.get("password"))


def arrive(
    book: ChannelBook,
    did: str,
    source: str,
    *,
    port: int,
    caller: str,
    offer: Offer = Offer.RTP,
    codecs: tuple[str, ...] = DEFAULT_CODECS,
    credentials: tuple[str, str] | None = None,
    call_id: str,
) -> FakeChannel:
    """The INVITE for ``did`` from ``source``: the channel made for it, refused (``sip_answer``) or in Stasis."""
    address = ipaddress.ip_address(source)
    endpoint = None
    for (type_, _), fields in book.store.objects.items():
        if type_ == "identify":
            for entry in filter(None, fields["match"].split(",")):
                if address in network(entry):
                    endpoint = fields["endpoint"]
    if endpoint is None and ("endpoint", "anonymous") in book.store.objects:
        endpoint = "anonymous"
    fields = book.store.objects.get(("endpoint", endpoint or ""), {})
    context = fields.get("context", "")
    channel = book.new_pjsip(endpoint or "anonymous", did, caller, context, None, call_id=call_id)
    channel.variables["CHANNEL(pjsip,remote_addr)"] = f"{source}:{port}"
    channel.codecs = agreed(fields, codecs)
    challenged = endpoint is None or not _authenticated(book, fields, credentials)
    # A media offer the endpoint cannot take (encryption, or no codec in common) is refused before the dialplan runs.
    refusal = 401 if challenged else answer_offer(fields, offer) or (None if channel.codecs else NOT_ACCEPTABLE)
    outcome = book.dialplan.run(context, did, book.hub.connected_apps().__contains__) if refusal is None else None
    if refusal is None and not isinstance(outcome, Entered):
        refusal = 401 if outcome is None else CAUSE_TO_SIP.get(outcome.cause, UNMAPPED_CAUSE_SIP)
    if refusal is not None or not isinstance(outcome, Entered):
        del book.channels[channel.id]
        book.ended[channel.id] = channel
        channel.sip_answer = refusal
        return channel
    channel.state = "Ring"
    channel.app = outcome.app
    channel.in_stasis = True
    event = {"type": "StasisStart", "timestamp": now(), "args": list(outcome.args), "channel": channel.json()}
    book.hub.send(outcome.app, event)
    return channel
