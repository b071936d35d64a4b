"""The PJSIP objects a trunk needs, as plain data, and their rendering as a ``pjsip.conf`` fragment.

Per trunk (ids derived from the trunk's id, which is a ULID: stable, and safe in dial strings and files; every id
starts with ``byot-`` so that objects the library does not own are recognisable and never touched):

- ``byot-<trunk>-auth`` (userpass trunks): the digest credentials, used by the endpoints as ``outbound_auth``
  (not ``auth``, which would challenge the carrier's own INVITEs);
- per gateway ``n`` (in priority order), an ``aor`` and an ``endpoint`` both named ``byot-<trunk>-gw<n>``: the AOR
  holds the static contact ``sip:host:port`` and ``qualify_frequency``; the endpoint the codecs (``disallow`` then
  ``allow``), ``transport``, the media options set explicitly (Asterisk's own ``direct_media`` default is *yes*),
  ``media_encryption=no`` (no SRTP), and its dialplan ``context``: the inbound one only when ``inbound_enabled``;
- ``byot-<trunk>-identify``: matches the gateways' addresses and the trunk's ``ip_identifiers`` to the first
  endpoint, so that the carrier's INVITEs reach the trunk;
- ``byot-<trunk>-reg`` (userpass trunks with ``inbound_enabled``): a REGISTER to the first gateway, because a
  carrier that authenticates by credentials learns where to deliver inbound calls from the registration;
  ``line=yes`` makes the calls it brings arrive on the trunk's endpoint.

Asterisk fails over between gateways only if the application tries their endpoints one by one, which the library
does (see the dial plan).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from byot_core.domain.dialplan import order_gateways
from byot_core.domain.secret import Secret
from byot_core.domain.sip_values import is_ip_literal, sip_user_part
from byot_core.domain.trunk import AuthType, Gateway, Trunk, TrunkSettings

__all__ = [
    "INBOUND_CONTEXT",
    "OWNED_PREFIX",
    "REJECT_CONTEXT",
    "PjsipObject",
    "desired_objects",
    "gateway_object_ids",
    "render_conf",
    "trunk_object_ids",
    "trunk_of_gateway_object",
]

#: Every object the library creates has an id starting with this.
OWNED_PREFIX = "byot-"
#: The dialplan context that hands calls to the Stasis application (see the operator documentation).
INBOUND_CONTEXT = "byot-inbound"
#: The dialplan context of trunks that do not accept inbound calls: it refuses them.
REJECT_CONTEXT = "byot-reject"


@attrs.frozen
class PjsipObject:
    """One sorcery object: its type, its id, and its fields in order (a key may repeat, as ``match`` does)."""

    type: str
    id: str
    fields: tuple[tuple[str, str], ...]

    def value(self, key: str) -> str | None:
        """The first value of a field, if present."""
        return next((v for k, v in self.fields if k == key), None)


def _flag(value: bool) -> str:
    return "yes" if value else "no"


def _host(address: str) -> str:
    # IPv6 literals go in brackets in a SIP URI.
    return f"[{address}]" if ":" in address and is_ip_literal(address) else address


def _uri(gateway: Gateway, user: str | None = None) -> str:
    prefix = f"{sip_user_part(user)}@" if user else ""
    return f"sip:{prefix}{_host(gateway.address)}:{gateway.port}"


_GATEWAY_OBJECT = re.compile(re.escape(OWNED_PREFIX) + r"(?P<trunk>[A-Za-z0-9_.-]+?)-gw(?P<position>[0-9]+)")


def trunk_of_gateway_object(object_id: str) -> str | None:
    """The trunk id in a gateway's AOR or endpoint id (``byot-<trunk>-gw<n>``), or ``None`` for any other id."""
    match = _GATEWAY_OBJECT.fullmatch(object_id)
    return match["trunk"] if match is not None else None


def trunk_object_ids(trunk_id: str) -> str:
    """The id prefix of a trunk's objects."""
    return f"{OWNED_PREFIX}{trunk_id}"


def gateway_object_ids(trunk: Trunk) -> dict[str, str]:
    """Each gateway's AOR and endpoint id, by gateway id: ``byot-<trunk>-gw<n>``.

    ``n`` is the gateway's place in the trunk's fixed order, so every instance of the library names (and dials) a
    gateway alike.
    """
    base = trunk_object_ids(trunk.id)
    return {gateway.id: f"{base}-gw{index + 1}" for index, gateway in enumerate(order_gateways(trunk.gateways))}


def _encryption(settings: TrunkSettings) -> list[tuple[str, str]]:
    """An endpoint's media encryption, as a real Asterisk 22 needed it (``shared/asterisk``, TLS, SRTP).

    ``dtls`` took a certificate (here made by Asterisk itself) and AVPF: without ``use_avpf=yes`` every DTLS offer
    got 488. Every option is written whatever the encryption: a PUT merges into the object, so an option left out
    would keep the value an earlier encryption gave it.
    """
    dtls = settings.media_encryption == "dtls"
    return [
        ("media_encryption", "no" if settings.media_encryption == "none" else settings.media_encryption),
        ("media_encryption_optimistic", _flag(settings.media_encryption_optimistic)),
        ("dtls_auto_generate_cert", _flag(dtls)),
        ("use_avpf", _flag(dtls)),
    ]


def desired_objects(trunk: Trunk, password: Secret | None, inbound_password: Secret | None = None) -> list[PjsipObject]:
    """The objects that configure the trunk, in the order to create them (auths and AORs before endpoints).

    With ``inbound_password`` (the trunk asks its carrier to authenticate), an auth object holds the carrier's
    credentials and every endpoint challenges the carrier's requests with it (``auth=``).
    """
    base = trunk_object_ids(trunk.id)
    settings = trunk.settings
    gateways = order_gateways(trunk.gateways)
    userpass = trunk.auth_type is AuthType.USERPASS and trunk.auth_username is not None and password is not None
    objects: list[PjsipObject] = []
    auth_id = f"{base}-auth"
    if trunk.auth_username is not None and password is not None and userpass:
        objects.append(
            PjsipObject(
                "auth",
                auth_id,
                (("auth_type", "userpass"), ("username", trunk.auth_username), ("password", password.reveal())),
            )
        )
    inbound_auth_id = f"{base}-inbound-auth"
    challenges = False
    if trunk.inbound_auth_username is not None and inbound_password is not None:
        challenges = True
        inbound = (("username", trunk.inbound_auth_username), ("password", inbound_password.reveal()))
        objects.append(PjsipObject("auth", inbound_auth_id, (("auth_type", "userpass"), *inbound)))
    names = gateway_object_ids(trunk)
    endpoint_ids = [names[gateway.id] for gateway in gateways]
    for gateway, object_id in zip(gateways, endpoint_ids, strict=True):
        aor = (("contact", _uri(gateway)), ("qualify_frequency", str(settings.qualify_frequency)))
        objects.append(PjsipObject("aor", object_id, aor))
    for object_id in endpoint_ids:
        fields: list[tuple[str, str]] = [
            ("transport", settings.transport),
            ("context", INBOUND_CONTEXT if settings.inbound_enabled else REJECT_CONTEXT),
            ("disallow", settings.disallow),
            ("allow", settings.allow),
            ("aors", object_id),
            ("direct_media", _flag(settings.direct_media)),
            ("rtp_symmetric", _flag(settings.rtp_symmetric)),
            ("force_rport", _flag(settings.force_rport)),
            ("ice_support", _flag(settings.ice_support)),
            *_encryption(settings),
        ]
        if userpass:
            fields.append(("outbound_auth", auth_id))
        # Written when not used too (empty): a PUT merges, and would keep an earlier challenge.
        fields.append(("auth", inbound_auth_id if challenges else ""))
        objects.append(PjsipObject("endpoint", object_id, tuple(fields)))
    matches = [g.address for g in gateways] + [i.ip_address for i in trunk.ip_identifiers]
    if endpoint_ids and matches:
        identify = (("endpoint", endpoint_ids[0]), *(("match", m) for m in dict.fromkeys(matches)))
        objects.append(PjsipObject("identify", f"{base}-identify", identify))
    if userpass and settings.inbound_enabled and gateways:
        assert trunk.auth_username is not None
        first = gateways[0]
        registration = (
            ("transport", settings.transport),
            ("outbound_auth", auth_id),
            ("server_uri", _uri(first)),
            ("client_uri", _uri(first, trunk.auth_username)),
            ("retry_interval", "60"),
            ("line", "yes"),
            ("endpoint", endpoint_ids[0]),
        )
        objects.append(PjsipObject("registration", f"{base}-reg", registration))
    return objects


_KEY = re.compile(r"[a-z][a-z_]*")
# What can bend a ``key=value`` line: a line break or control character (a new line), ';' (a comment), and edge
# spaces (stripped by Asterisk). A bracket inside a value is harmless (only a line that starts with '[' opens a
# section) and IPv6 contacts need them; input validation is stricter still.
_LINE_BENDING = re.compile(r"[;\x00-\x1f\x7f]")


def _checked(value: str, what: str) -> str:
    """A value about to be written into the file: refused, never escaped, if it could change the file's meaning."""
    if _LINE_BENDING.search(value) or value != value.strip() or len(value) > 1024:
        raise ValueError(f"{what} has a character that would change the file's meaning: refusing to render it")
    return value


def _key(key: str) -> str:
    if _KEY.fullmatch(key) is None:
        raise ValueError(f"{key!r} is not a PJSIP option name: refusing to render it")
    return key


def render_conf(objects: Iterable[PjsipObject], header: Sequence[str] = ()) -> str:
    """A ``pjsip.conf`` fragment: one section per object, ``type`` first, then its fields in order.

    Deterministic: the same objects give the same text. Values were validated on the way in; each is checked again
    here, and anything that could start a comment, a section or a line is refused rather than written.
    """
    lines = [f"; {_checked(line, 'header')}" for line in header]
    for obj in objects:
        if lines:
            lines.append("")
        lines.append(f"[{_checked(obj.id, 'object id')}]")
        lines.append(f"type={_key(obj.type)}")
        for key, value in obj.fields:
            lines.append(f"{_key(key)}={_checked(value, f'{obj.id}.{key}')}")
    return "\n".join(lines) + "\n"
