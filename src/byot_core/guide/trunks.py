"""The guide's trunk bodies (``POST`` and ``PATCH /sip-trunks/trunks``) read into a draft or a set of changes.

The reader checks shapes (an object, strings, integers, booleans, lists, no unknown field) and what only JSON can
say (a field sent as ``null`` versus not sent); the value rules are the domain's (:mod:`byot_core.domain.trunk_checks`),
so both come with the guide's messages, in the guide's order. A rule's problem on a field that already has a shape
problem is not repeated.
"""

from __future__ import annotations

from collections.abc import Sequence

from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.missing import MISSING, Missing
from byot_core.domain.number_draft import NumberDraft
from byot_core.domain.secret import Secret
from byot_core.domain.trunk import (
    MAX_GATEWAYS,
    MAX_IP_IDENTIFIERS,
    MAX_NUMBERS_AT_CREATION,
    OPTION_FIELDS,
    AuthType,
)
from byot_core.domain.trunk_checks import changes_problems, ordered, trunk_draft_problems
from byot_core.domain.trunk_draft import MSG_AUTH_TYPE, GatewayDraft, TrunkChanges, TrunkDraft
from byot_core.guide.destinations import read_destinations
from byot_core.guide.fields import FieldReader, as_mapping
from byot_core.guide.numbers import read_number_fields

__all__ = ["CREATE_FIELDS", "UPDATE_FIELDS", "read_trunk_create", "read_trunk_update"]

_SETTINGS = OPTION_FIELDS
_GATEWAY_FIELDS = frozenset({"gateway_address", "port", "priority", "weight"})
_IDENTIFIER_FIELDS = frozenset({"ip_address"})
_SHARED_FIELDS = frozenset(
    {"name", "provider", "description", "auth_username", "auth_password", "gateways", "ip_identifiers"}
    | {"default_inbound_agent_id", "channels", "calls_per_second", "inbound_auth", "outbound_destinations"}
    | {field.name for field in _SETTINGS}
)
#: The fields a create body may carry.
CREATE_FIELDS = _SHARED_FIELDS | {"auth_type", "phone_numbers"}
#: The fields an update body may carry.
UPDATE_FIELDS = _SHARED_FIELDS | {"is_active"}
_UPDATE_ONLY_HINTS = {
    "auth_type": ": auth_type cannot be changed; create a new trunk instead",
    "phone_numbers": ": add or remove numbers through the trunk's numbers endpoints",
}
# Rules that need a valid auth_type: without one they would only repeat its problem.
_AUTH_RULES = frozenset({"userpass_credentials_required", "ip_identifiers_required", "auth_not_used"})


def _unrepeated(shape: Sequence[Problem], rules: Sequence[Problem]) -> list[Problem]:
    """The rules' problems, less those on a field (or inside one) the shape check already refused."""

    def covered(problem: Problem) -> bool:
        return any(s.path == problem.path or s.path.startswith((problem.path + ".", problem.path + "[")) for s in shape)

    return [*shape, *(p for p in rules if not covered(p))]


def _too_long(fields: FieldReader, name: str, items: Sequence[object], most: int, noun: str = "entries") -> bool:
    """Refuse a list over its limit before reading its items: the work must stay bounded whatever arrives."""
    if len(items) <= most:
        return False
    fields.invalid(name, f"must have at most {most} {noun}")
    return True


def _gateways(fields: FieldReader) -> tuple[GatewayDraft, ...] | Missing:
    """``gateways`` as drafts (``()`` for ``null`` or not a list), items that cannot be read left out."""
    items = fields.array("gateways")
    if isinstance(items, Missing):
        return MISSING if not fields.present("gateways") else ()
    if items is not None and _too_long(fields, "gateways", items, MAX_GATEWAYS, "gateways"):
        return ()
    drafts: list[GatewayDraft] = []
    for index, item in enumerate(items or ()):
        gateway = fields.item_reader("gateways", index, item)
        if gateway is None:
            continue
        address = gateway.text("gateway_address", nullable=False)
        numbers = {name: gateway.integer(name) for name in ("port", "priority", "weight")}
        gateway.refuse_unknown(_GATEWAY_FIELDS)
        if not isinstance(address, str):
            if not gateway.present("gateway_address"):
                path = gateway.path("gateway_address")
                gateway.fail("gateway_address", "gateway_address_required", f"{path} is required")
            continue
        given = {name: value for name, value in numbers.items() if isinstance(value, int)}
        drafts.append(GatewayDraft(address=address, **given))
    return tuple(drafts)


def _identifiers(fields: FieldReader) -> tuple[str, ...] | Missing:
    """``ip_identifiers`` as addresses (``()`` for ``null``), items that cannot be read left out."""
    if not fields.present("ip_identifiers"):
        return MISSING
    items = fields.array("ip_identifiers")
    if isinstance(items, Sequence) and _too_long(fields, "ip_identifiers", items, MAX_IP_IDENTIFIERS):
        return ()
    addresses: list[str] = []
    for index, item in enumerate(items if isinstance(items, Sequence) else ()):
        identifier = fields.item_reader("ip_identifiers", index, item)
        if identifier is None:
            continue
        address = identifier.text("ip_address", nullable=False)
        identifier.refuse_unknown(_IDENTIFIER_FIELDS)
        if isinstance(address, str):
            addresses.append(address)
        elif not identifier.present("ip_address"):
            identifier.fail("ip_address", "ip_address_required", f"{identifier.path('ip_address')} is required")
    return tuple(addresses)


def _settings(fields: FieldReader) -> dict[str, bool | int | str]:
    settings: dict[str, bool | int | str] = {}
    for field in _SETTINGS:
        value: bool | int | str | Missing | None
        if isinstance(field.default, bool):
            value = fields.flag(field.name)
        elif isinstance(field.default, int):
            value = fields.integer(field.name)
        else:
            value = fields.text(field.name, nullable=False)
        if isinstance(value, bool | int | str):
            settings[field.name] = value
    return settings


def _inbound_auth(fields: FieldReader, *, nullable: bool) -> str | Missing | None:
    """``inbound_auth`` (beyond the guide): ``{"username": …}``; ``null`` (an update) removes it."""
    if not fields.present("inbound_auth"):
        return MISSING
    if fields.data["inbound_auth"] is None and nullable:
        return None
    auth = fields.object_reader("inbound_auth")
    if auth is None:
        return MISSING
    username = auth.text("username", nullable=False)
    auth.refuse_unknown(frozenset({"username"}))
    if not isinstance(username, str):
        if not auth.present("username"):
            auth.fail("username", "inbound_auth_username_required", "inbound_auth.username is required")
        return MISSING
    return username


def _nullable_integer(fields: FieldReader, name: str) -> int | Missing | None:
    """A whole number (its bounds are a rule of the draft), ``null`` for none (no limit), or not sent."""
    if fields.present(name) and fields.data[name] is None:
        return None
    return fields.integer(name)


def _required_text(fields: FieldReader, name: str) -> str | Missing:
    """A required text: ``null`` reads as blank (the rule then gives the guide's message), a non-string is refused."""
    if fields.present(name) and fields.data[name] is None:
        return ""
    value = fields.text(name, nullable=False)
    return value if isinstance(value, str) else MISSING


def _credentials(fields: FieldReader) -> tuple[str | Missing | None, Secret | Missing | None]:
    username = fields.text("auth_username")
    password = fields.text("auth_password")
    return username, Secret(password) if isinstance(password, str) else password


def _numbers(fields: FieldReader, default_region: str | None) -> tuple[NumberDraft, ...]:
    drafts = []
    items = fields.array("phone_numbers")
    if isinstance(items, Sequence) and _too_long(fields, "phone_numbers", items, MAX_NUMBERS_AT_CREATION):
        return ()
    for index, item in enumerate(items if isinstance(items, Sequence) else ()):
        reader = fields.item_reader("phone_numbers", index, item)
        number = read_number_fields(reader, default_region) if reader is not None else None
        if number is not None:
            drafts.append(number)
    return tuple(drafts)


def read_trunk_create(payload: object, default_region: str | None = None) -> TrunkDraft:
    """A create body as a checked draft; raises :class:`ValidationFailed` listing every problem, the guide's first."""
    shape: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", shape)
    name, provider = _required_text(fields, "name"), _required_text(fields, "provider")
    auth_type = next((kind for kind in AuthType if kind.value == fields.data.get("auth_type")), None)
    if auth_type is None:
        fields.fail("auth_type", "invalid_auth_type", MSG_AUTH_TYPE)
    gateways = _gateways(fields)
    username, password = _credentials(fields)
    identifiers = _identifiers(fields)
    description = fields.text("description")
    default_agent = fields.text("default_inbound_agent_id")
    channels = _nullable_integer(fields, "channels")
    calls_per_second = _nullable_integer(fields, "calls_per_second")
    settings = _settings(fields)
    numbers = _numbers(fields, default_region)
    inbound_auth = _inbound_auth(fields, nullable=False)
    destinations = read_destinations(fields)
    fields.refuse_unknown(CREATE_FIELDS)
    draft = TrunkDraft(
        name=name if isinstance(name, str) else "",
        provider=provider if isinstance(provider, str) else "",
        auth_type=auth_type or AuthType.USERPASS,
        gateways=gateways if isinstance(gateways, tuple) else (),
        description=description if isinstance(description, str) else None,
        auth_username=username or None if isinstance(username, str) else None,
        auth_password=password if isinstance(password, Secret) and password.reveal() else None,
        ip_identifiers=identifiers if isinstance(identifiers, tuple) else (),
        settings=settings,
        phone_numbers=numbers,
        default_inbound_agent_id=default_agent if isinstance(default_agent, str) else None,
        channels=channels if isinstance(channels, int) else None,
        calls_per_second=calls_per_second if isinstance(calls_per_second, int) else None,
        inbound_auth_username=inbound_auth if isinstance(inbound_auth, str) else None,
        destinations=destinations if isinstance(destinations, DestinationPolicy) else DestinationPolicy(),
    )
    rules = [p for p in trunk_draft_problems(draft) if auth_type is not None or p.code not in _AUTH_RULES]
    problems = _unrepeated(shape, rules)
    if problems:
        raise ValidationFailed(ordered(problems))
    return draft


def read_trunk_update(payload: object) -> TrunkChanges:
    """A partial update body as checked changes (each field on its own; rules that need the trunk come later)."""
    shape: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", shape)
    name = _required_text(fields, "name") if fields.present("name") else MISSING
    provider = _required_text(fields, "provider") if fields.present("provider") else MISSING
    gateways = _gateways(fields)
    username, password = _credentials(fields)
    identifiers = _identifiers(fields)
    description = fields.text("description")
    default_agent = fields.text("default_inbound_agent_id")
    channels = _nullable_integer(fields, "channels")
    calls_per_second = _nullable_integer(fields, "calls_per_second")
    is_active = fields.flag("is_active")
    settings = _settings(fields)
    inbound_auth = _inbound_auth(fields, nullable=True)
    destinations = read_destinations(fields)
    for hinted, hint in _UPDATE_ONLY_HINTS.items():
        if fields.present(hinted):
            fields.fail(hinted, "field_not_updatable", f"Unknown field '{hinted}'{hint}")
    fields.refuse_unknown(UPDATE_FIELDS | frozenset(_UPDATE_ONLY_HINTS))
    changes = TrunkChanges(
        name=name,
        provider=provider,
        description=description,
        is_active=is_active,
        auth_username=username,
        auth_password=password,
        gateways=gateways,
        ip_identifiers=identifiers,
        settings=settings,
        default_inbound_agent_id=default_agent,
        channels=channels,
        calls_per_second=calls_per_second,
        inbound_auth_username=inbound_auth,
        destinations=destinations,
    )
    problems = _unrepeated(shape, changes_problems(changes))
    if problems:
        raise ValidationFailed(ordered(problems))
    return changes
