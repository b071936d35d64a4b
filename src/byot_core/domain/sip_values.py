"""Checks of the values that describe a SIP peer: codecs, transports, hosts and address ranges.

Each function returns why a value is refused, or ``None`` when it is accepted.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import quote

import netaddr

__all__ = [
    "KNOWN_CODECS",
    "MAX_CODECS",
    "MEDIA_ENCRYPTIONS",
    "TRANSPORTS",
    "codec_list_problem",
    "host_problem",
    "ip_identifier_problem",
    "is_ip_literal",
    "sip_user_part",
]

#: Codec names Asterisk's format registry knows (``core show codecs``), accepted in ``allow`` and ``disallow``.
KNOWN_CODECS = frozenset(
    {
        "ulaw", "alaw", "gsm", "g722", "g723", "g726", "g726aal2", "g729", "g719", "adpcm", "lpc10", "ilbc",
        "speex", "speex16", "speex32", "opus", "silk8", "silk12", "silk16", "silk24", "siren7", "siren14",
        "codec2", "testlaw", "slin", "slin12", "slin16", "slin24", "slin32", "slin44", "slin48", "slin96",
        "slin192", "h261", "h263", "h263p", "h264", "h265", "mpeg4", "vp8", "vp9", "jpeg", "png", "t140",
        "t140red", "red",
    }
)  # fmt: skip

#: The most codecs one ``allow`` or ``disallow`` list may name.
MAX_CODECS = 16

#: The transports the platform's Asterisk defines for trunks.
TRANSPORTS = frozenset({"transport-udp", "transport-tcp", "transport-tls"})
#: A trunk's media encryption (beyond the guide): none, SRTP with keys in the SDP (``sdes``), or DTLS-SRTP (``dtls``).
MEDIA_ENCRYPTIONS = ("none", "sdes", "dtls")

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_ADDRESS_OR_CIDR = re.compile(r"[0-9A-Fa-f:.]+(?:/[0-9]{1,3})?")


def codec_list_problem(value: str, *, allow_all: bool = True) -> str | None:
    """Why a comma-separated codec list is refused.

    Empty items, spaces, names Asterisk does not know, a codec named twice, or more than :data:`MAX_CODECS`.
    """
    if not value:
        return "must name at least one codec"
    items = value.split(",")
    if len(items) > MAX_CODECS:
        return f"must name at most {MAX_CODECS} codecs"
    for index, item in enumerate(items):
        if item == "all" and allow_all:
            continue
        if item not in KNOWN_CODECS:
            return f"has an unknown codec {item[:40]!r} (codecs are comma-separated, without spaces)"
        if item in items[:index]:
            return f"names {item!r} twice"
    return None


# RFC 3261 ``user``: unreserved and user-unreserved characters stand as they are, anything else is %-escaped. ';',
# ',' and '?' are left out of the safe set although the RFC allows them: they mean something in configuration.
_USER_SAFE = "-_.!~*'()&=+$/"


def sip_user_part(user: str) -> str:
    """The user part of a SIP URI for a user name, escaped as RFC 3261 says (``a b@c`` → ``a%20b%40c``).

    A digest user name may hold characters a URI cannot (``@`` is common); the name itself is sent unescaped in
    the authentication, only the URI carries this form.
    """
    return quote(user, safe=_USER_SAFE)


def is_ip_literal(value: str) -> bool:
    """Whether the text is an IPv4 or IPv6 address, written plainly (no brackets, port or prefix)."""
    # netaddr reads IPv4 as inet_pton does, and IPv6 needs a colon: the commonest answers without its parser.
    try:
        socket.inet_pton(socket.AF_INET, value)
        return True
    except (OSError, ValueError, TypeError):
        if ":" not in value:
            return False
    try:
        netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return False
    return True


def host_problem(value: str) -> str | None:
    """Why a gateway address is refused: it must be a hostname or an IP literal, with nothing else around it."""
    if not value:
        return "must not be empty"
    if "://" in value or value.lower().startswith(("sip:", "sips:")):
        return "must be a hostname or IP address without a scheme such as 'sip:'"
    if "@" in value:
        return "must be a hostname or IP address without a user part"
    if ";" in value or "?" in value:
        return "must be a hostname or IP address without parameters"
    if is_ip_literal(value):
        return None
    if ":" in value or value.startswith("["):
        return "must be a hostname or IP address without a port (give the port in 'port')"
    host = value[:-1] if value.endswith(".") else value
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return "must be a valid hostname or IP address"
    if all(label.isdigit() for label in labels):
        return "must be a valid hostname or IP address"
    return None


def ip_identifier_problem(value: str) -> str | None:
    """Why an IP identifier is refused: it must be an IPv4/IPv6 address or a CIDR range with a prefix length."""
    if not _ADDRESS_OR_CIDR.fullmatch(value):
        return "must be an IPv4 or IPv6 address or CIDR range (such as 203.0.113.0/24)"
    try:
        netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return "must be an IPv4 or IPv6 address or CIDR range (such as 203.0.113.0/24)"
    return None
