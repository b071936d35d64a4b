"""How the fake's endpoints answer encrypted and plain media offers, as a real Asterisk 22 did.

Recorded (``shared/asterisk``, "Observed 2026-12-05: TLS, SRTP, inbound digest"), all over TLS: an endpoint with
``media_encryption=no`` refuses an offer that requires SRTP (``RTP/SAVP``) with 488; ``sdes`` refuses a plain offer
unless ``media_encryption_optimistic``, and takes SRTP whether the offer requires it or only allows it (``RTP/AVP`` with
``a=crypto``); outbound, ``sdes`` offers ``RTP/SAVP`` (488 from a callee without SRTP) and ``sdes`` optimistic offers
``RTP/AVP`` with crypto (488 from a callee that requires SRTP); ``dtls`` takes a DTLS-SRTP offer only with a
certificate and ``use_avpf``. Not recorded, and modelled on SDP's rules: a plain endpoint answers an offer that only
allows SRTP with plain RTP; a DTLS endpoint refuses other offers, and an SDES one refuses DTLS.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = ["Offer", "answer_offer", "callee_answer"]

#: What Asterisk answers an offer it cannot take.
NOT_ACCEPTABLE = 488


class Offer(enum.Enum):
    """What media a carrier offers, or a callee accepts."""

    #: ``RTP/AVP`` with no crypto: plain only.
    RTP = "rtp"
    #: ``RTP/AVP`` with ``a=crypto``: SRTP if the other side wants it, plain otherwise.
    SRTP_OPTIONAL = "srtp-optional"
    #: ``RTP/SAVP`` with ``a=crypto``: SRTP required.
    SRTP = "srtp"
    #: ``UDP/TLS/RTP/SAVPF`` with a fingerprint: DTLS-SRTP.
    DTLS = "dtls"


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("yes", "true")


def answer_offer(endpoint: Mapping[str, str], offer: Offer) -> int | None:
    """An inbound offer to the endpoint: ``None`` when it is taken, else the SIP response refusing it (488)."""
    encryption = endpoint.get("media_encryption", "no")
    optimistic = _truthy(endpoint.get("media_encryption_optimistic"))
    if encryption == "no":
        refused = offer in (Offer.SRTP, Offer.DTLS)
    elif encryption == "sdes":
        refused = offer is Offer.DTLS or (offer is Offer.RTP and not optimistic)
    else:  # dtls
        certificate = _truthy(endpoint.get("dtls_auto_generate_cert")) or bool(endpoint.get("dtls_cert_file"))
        usable = certificate and _truthy(endpoint.get("use_avpf"))
        refused = not usable if offer is Offer.DTLS else not (optimistic and offer is Offer.RTP)
    return NOT_ACCEPTABLE if refused else None


def callee_answer(endpoint: Mapping[str, str], callee: Offer) -> int | None:
    """What a callee that accepts ``callee`` answers the endpoint's outbound offer: ``None`` taken, else 488."""
    encryption = endpoint.get("media_encryption", "no")
    optimistic = _truthy(endpoint.get("media_encryption_optimistic"))
    if encryption == "no":
        offered = Offer.RTP
    elif encryption == "sdes":
        offered = Offer.SRTP_OPTIONAL if optimistic else Offer.SRTP
    else:
        offered = Offer.DTLS
    accepts = {
        Offer.RTP: {Offer.RTP, Offer.SRTP_OPTIONAL},
        Offer.SRTP_OPTIONAL: {Offer.RTP, Offer.SRTP_OPTIONAL, Offer.SRTP},
        Offer.SRTP: {Offer.SRTP},
        Offer.DTLS: {Offer.DTLS},
    }[callee]
    return None if offered in accepts else NOT_ACCEPTABLE
