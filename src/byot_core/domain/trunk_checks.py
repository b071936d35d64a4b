"""The rules a trunk draft and a trunk's changes must satisfy, as functions over the typed values.

Each check returns the problems it finds, with the field's path (``gateways[1].port``) and, where the guide fixes
one, the guide's message. :func:`ordered` puts problems in the order of the guide's field table, so the guide's
first message leads whatever found it. The guide's JSON reader (:mod:`byot_core.guide`) calls the same checks, so a
typed caller and an HTTP client are refused alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from byot_core.domain.call_request import id_problem
from byot_core.domain.config_safety import config_value_problem, text_problem
from byot_core.domain.destinations import DestinationPolicy, policy_problems
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.missing import Missing
from byot_core.domain.pacing import CPS_BOUNDS
from byot_core.domain.secret import Secret
from byot_core.domain.secure_trunk_checks import draft_encryption_problems, inbound_username_problems
from byot_core.domain.sip_values import (
    MEDIA_ENCRYPTIONS,
    TRANSPORTS,
    codec_list_problem,
    host_problem,
    ip_identifier_problem,
)
from byot_core.domain.trunk import (
    CHANNEL_BOUNDS,
    GATEWAY_BOUNDS,
    MAX_GATEWAYS,
    MAX_IP_IDENTIFIERS,
    MAX_NUMBERS_AT_CREATION,
    SETTING_BOUNDS,
    AuthType,
)
from byot_core.domain.trunk_draft import (
    MSG_AUTH_NOT_USED,
    MSG_GATEWAY_REQUIRED,
    MSG_IP_IDENTIFIERS_REQUIRED,
    MSG_NAME_REQUIRED,
    MSG_PROVIDER_REQUIRED,
    MSG_USERPASS_REQUIRED,
    GatewayDraft,
    TrunkChanges,
    TrunkDraft,
)

__all__ = [
    "FIELD_ORDER",
    "changes_problems",
    "check_changes",
    "check_draft",
    "gateway_problems",
    "identifier_problems",
    "invalid",
    "ordered",
    "setting_problems",
    "trunk_draft_problems",
]

#: The guide's fields in the order of its table; problems are listed in this order, unknown fields last.
FIELD_ORDER = (
    "", "name", "provider", "description", "auth_type", "auth_username", "auth_password", "gateways",
    "ip_identifiers", "allow", "disallow", "inbound_enabled", "outbound_leading_plus_enabled", "transport",
    "direct_media", "rtp_symmetric", "force_rport", "ice_support", "qualify_frequency", "phone_numbers", "is_active",
    "ring_timeout_seconds", "default_inbound_agent_id", "channels", "calls_per_second", "media_encryption",
    "media_encryption_optimistic", "inbound_auth", "outbound_destinations",
)  # fmt: skip
# The guide's own 400s come first, in the order of its "Common Errors" section.
_GUIDE_FIRST = ("name", "provider", "auth_type", "gateways", "auth_username", "ip_identifiers")
_RANK = {name: i for i, name in enumerate(("", *_GUIDE_FIRST, *(f for f in FIELD_ORDER if f not in _GUIDE_FIRST)))}
_TOP = re.compile(r"[.\[]")


def invalid(path: str, reason: str) -> Problem:
    """A refused value, its path leading the message (``gateways[0].port must be …``)."""
    return Problem(path, "invalid_field", f"{path} {reason}")


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """The problems in the guide's order of fields (stable within a field); fields the guide lacks go last."""
    return sorted(problems, key=lambda p: _RANK.get(_TOP.split(p.path, maxsplit=1)[0], len(_RANK)))


def _required_text(path: str, value: str, code: str, message: str) -> list[Problem]:
    if not value.strip():
        return [Problem(path, code, message)]
    reason = text_problem(value)
    return [invalid(path, reason)] if reason is not None else []


def _optional_text(path: str, value: str | None) -> list[Problem]:
    reason = text_problem(value) if value is not None else None
    return [invalid(path, reason)] if reason is not None else []


def _credential(path: str, value: str | None) -> list[Problem]:
    reason = config_value_problem(value, list_item=True) if value else None
    return [invalid(path, reason)] if reason is not None else []


def _count(path: str, count: int, most: int) -> list[Problem]:
    return [invalid(path, f"must have at most {most} entries")] if count > most else []


def _bounded(path: str, value: int, bounds: tuple[int, int]) -> list[Problem]:
    low, high = bounds
    return [] if low <= value <= high else [invalid(path, f"must be an integer from {low} to {high}")]


def gateway_problems(
    gateways: Sequence[GatewayDraft], path: str = "gateways", *, transport: object = "transport-udp"
) -> list[Problem]:
    """At least one gateway, at most :data:`MAX_GATEWAYS`; each a host with bounded numbers, none repeated."""
    if not gateways:
        return [Problem(path, "gateway_required", MSG_GATEWAY_REQUIRED)]
    if len(gateways) > MAX_GATEWAYS:
        return [invalid(path, f"must have at most {MAX_GATEWAYS} gateways")]
    problems: list[Problem] = []
    seen: set[tuple[str, int]] = set()
    default = 5061 if transport == "transport-tls" else 5060
    for index, gateway in enumerate(gateways):
        where = f"{path}[{index}]"
        reason = host_problem(gateway.address)
        if reason is not None:
            problems.append(invalid(f"{where}.gateway_address", reason))
        for name in ("port", "priority", "weight"):
            value = getattr(gateway, name)
            if value is not None:  # a port not given is the transport's
                problems += _bounded(f"{where}.{name}", value, GATEWAY_BOUNDS[name])
        port = gateway.port if gateway.port is not None else default
        key = (gateway.address.lower(), port)
        if key in seen:
            problems.append(invalid(f"{where}.gateway_address", f"repeats gateway {gateway.address}:{port}"))
        seen.add(key)
    return problems


def identifier_problems(addresses: Sequence[str], path: str = "ip_identifiers") -> list[Problem]:
    """At most :data:`MAX_IP_IDENTIFIERS`, each an IPv4 or IPv6 address or CIDR range, none repeated."""
    if len(addresses) > MAX_IP_IDENTIFIERS:
        return [invalid(path, f"must have at most {MAX_IP_IDENTIFIERS} entries")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, address in enumerate(addresses):
        where = f"{path}[{index}].ip_address"
        reason = ip_identifier_problem(address)
        if reason is not None:
            problems.append(invalid(where, reason))
        if address in seen:
            problems.append(invalid(where, f"repeats {address}"))
        seen.add(address)
    return problems


def setting_problems(settings: Mapping[str, bool | int | str]) -> list[Problem]:
    """Codec lists (``allow`` with ulaw or alaw), a known transport and media encryption, bounded integers."""
    problems: list[Problem] = []
    for name, value in settings.items():
        if name in SETTING_BOUNDS and isinstance(value, int):
            problems += _bounded(name, value, SETTING_BOUNDS[name])
    for name in ("allow", "disallow"):
        codecs = settings.get(name)
        if isinstance(codecs, str):
            reason = codec_list_problem(codecs)
            if reason is not None:
                problems.append(invalid(name, reason))
            elif name == "allow" and not {"ulaw", "alaw", "all"} & set(codecs.split(",")):
                problems.append(invalid(name, "must include ulaw or alaw (the platform's media layer uses G.711)"))
    transport = settings.get("transport")
    if isinstance(transport, str) and transport not in TRANSPORTS:
        problems.append(invalid("transport", f"must be one of {', '.join(sorted(TRANSPORTS))}"))
    encryption = settings.get("media_encryption")
    if isinstance(encryption, str) and encryption not in MEDIA_ENCRYPTIONS:
        problems.append(invalid("media_encryption", f"must be one of {', '.join(MEDIA_ENCRYPTIONS)}"))
    return problems


def _auth_problems(
    auth_type: AuthType, username: str | None, password: Secret | None, identifiers: Sequence[str] | None
) -> list[Problem]:
    has_username, has_password = bool(username), password is not None and bool(password.reveal())
    problems: list[Problem] = []
    if auth_type is AuthType.USERPASS and not (has_username and has_password):
        problems.append(Problem("auth_username", "userpass_credentials_required", MSG_USERPASS_REQUIRED))
    if auth_type is AuthType.IP_BASED:
        if identifiers is not None and not identifiers:
            problems.append(Problem("ip_identifiers", "ip_identifiers_required", MSG_IP_IDENTIFIERS_REQUIRED))
        if has_username or has_password:
            problems.append(Problem("auth_username", "auth_not_used", MSG_AUTH_NOT_USED))
    return problems


def trunk_draft_problems(draft: TrunkDraft) -> list[Problem]:
    """Everything wrong with a draft (its phone numbers are validated when they are made)."""
    password = draft.auth_password.reveal() if draft.auth_password is not None else None
    return [
        *_required_text("name", draft.name, "trunk_name_required", MSG_NAME_REQUIRED),
        *_required_text("provider", draft.provider, "provider_required", MSG_PROVIDER_REQUIRED),
        *gateway_problems(draft.gateways, transport=draft.settings.get("transport", "transport-udp")),
        *_credential("auth_username", draft.auth_username),
        *_credential("auth_password", password),
        *identifier_problems(draft.ip_identifiers),
        *_auth_problems(draft.auth_type, draft.auth_username, draft.auth_password, draft.ip_identifiers),
        *_optional_text("description", draft.description),
        *setting_problems(draft.settings),
        *draft_encryption_problems(draft.settings),
        *_count("phone_numbers", len(draft.phone_numbers), MAX_NUMBERS_AT_CREATION),
        *_agent_id(draft.default_inbound_agent_id),
        *_channels(draft.channels),
        *_calls_per_second(draft.calls_per_second),
        *inbound_username_problems(draft.inbound_auth_username),
        *policy_problems(draft.destinations),
    ]


def check_draft(draft: TrunkDraft) -> None:
    """Raise :class:`ValidationFailed`, the guide's message first, if the draft breaks any rule."""
    problems = trunk_draft_problems(draft)
    if problems:
        raise ValidationFailed(ordered(problems))


def changes_problems(changes: TrunkChanges) -> list[Problem]:
    """Everything wrong with the fields an update sends, each on its own (rules that need the trunk come later)."""
    problems: list[Problem] = []
    if not isinstance(changes.name, Missing):
        problems += _required_text("name", changes.name, "trunk_name_required", MSG_NAME_REQUIRED)
    if not isinstance(changes.provider, Missing):
        problems += _required_text("provider", changes.provider, "provider_required", MSG_PROVIDER_REQUIRED)
    if not isinstance(changes.gateways, Missing):
        problems += gateway_problems(changes.gateways, transport=changes.settings.get("transport", "transport-udp"))
    if not isinstance(changes.auth_username, Missing):
        problems += _credential("auth_username", changes.auth_username)
    if isinstance(changes.auth_password, Secret):
        problems += _credential("auth_password", changes.auth_password.reveal())
    if not isinstance(changes.ip_identifiers, Missing):
        problems += identifier_problems(changes.ip_identifiers)
    if not isinstance(changes.description, Missing):
        problems += _optional_text("description", changes.description)
    if not isinstance(changes.default_inbound_agent_id, Missing):
        problems += _agent_id(changes.default_inbound_agent_id)
    if not isinstance(changes.channels, Missing):
        problems += _channels(changes.channels)
    if not isinstance(changes.calls_per_second, Missing):
        problems += _calls_per_second(changes.calls_per_second)
    if not isinstance(changes.inbound_auth_username, Missing):
        problems += inbound_username_problems(changes.inbound_auth_username)
    if isinstance(changes.destinations, DestinationPolicy):
        problems += policy_problems(changes.destinations)
    return problems + setting_problems(changes.settings)


def _channels(channels: int | None) -> list[Problem]:
    """A channel limit, when given, is a whole number within :data:`CHANNEL_BOUNDS`."""
    return _bounded("channels", channels, CHANNEL_BOUNDS) if channels is not None else []


def _calls_per_second(calls_per_second: int | None) -> list[Problem]:
    """A pace, when given, is a whole number of calls a second within :data:`CPS_BOUNDS`."""
    return _bounded("calls_per_second", calls_per_second, CPS_BOUNDS) if calls_per_second is not None else []


def _agent_id(agent_id: str | None) -> list[Problem]:
    """A default inbound agent, when given, is an id like any other (that it exists is checked by the use case)."""
    problem = id_problem("default_inbound_agent_id", agent_id) if agent_id is not None else None
    return [problem] if problem is not None else []


def check_changes(changes: TrunkChanges) -> None:
    """Raise :class:`ValidationFailed` if a sent field breaks a rule of its own."""
    problems = changes_problems(changes)
    if problems:
        raise ValidationFailed(ordered(problems))
