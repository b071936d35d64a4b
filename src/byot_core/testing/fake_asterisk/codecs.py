"""Which audio codec a fake call agrees, and how the fake writes a channel's formats.

Recorded (``shared/asterisk``): endpoints report ``allow`` as ``(ulaw|alaw)``, with the codec preferences
``prefer:pending, operation:intersect`` for incoming offers and answers; the SIPp carriers offered and answered
``RTP/AVP 0`` (PCMU, ``ulaw``) only. Read from Asterisk's source, not recorded: the codecs agreed are those of the
other side's SDP that the endpoint allows, in the other side's order (``prefer:pending``); none in common refuses
the offer with 488 (``set_caps``, "No joint capabilities", ``res/res_pjsip_sdp_rtp.c``); once answered, the
channel's native audio formats hold the first of them alone (``asymmetric_rtp_codec=no``), which
``CHANNEL(audionativeformat)`` writes as ``(ulaw)`` (``ast_format_cap_get_names``: ``(nothing)`` when empty).
A callee that shares no codec with the endpoint's offer answers 488 (RFC 3264). An outbound call through an endpoint
that allows no codec at all is not modelled: it is dialled, and its formats read ``(nothing)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["DEFAULT_CODECS", "NATIVE_FORMAT", "agreed", "native_formats"]

#: What a carrier offers and a callee answers unless told otherwise: PCMU only, as the recorded SIPp did.
DEFAULT_CODECS = ("ulaw",)
#: The channel function that reads a channel's native audio formats.
NATIVE_FORMAT = "CHANNEL(audionativeformat)"


def agreed(endpoint: Mapping[str, str], remote: Sequence[str]) -> tuple[str, ...]:
    """The other side's codecs that the endpoint allows, in the other side's order (empty: 488)."""
    allowed = endpoint.get("allow", "").strip("()").split("|")
    return tuple(codec for codec in remote if codec in allowed)


def native_formats(codecs: Sequence[str]) -> str:
    """A format list as Asterisk writes it: ``(ulaw|alaw)``, ``(nothing)``."""
    return f"({'|'.join(codecs) or 'nothing'})"
