"""Validation of the trunk request bodies (create and partial update), with the guide's defaults and messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from byot_core.domain.config_safety import config_value_problem, text_problem
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.fields import MISSING, FieldReader, Missing, as_mapping
from byot_core.domain.number_input import NumberDraft, read_number
from byot_core.domain.secret import Secret
from byot_core.domain.sip_values import (
    TRANSPORTS,
    codec_list_problem,
    host_problem,
    ip_identifier_problem,
)
from byot_core.domain.trunk import GATEWAY_BOUNDS, MAX_GATEWAYS, SETTING_BOUNDS, AuthType

__all__ = [
    "CREATE_FIELDS",
    "MSG_AUTH_TYPE",
    "MSG_GATEWAY_REQUIRED",
    "MSG_IP_IDENTIFIERS_REQUIRED",
    "MSG_NAME_REQUIRED",
    "MSG_PROVIDER_REQUIRED",
    "MSG_USERPASS_REQUIRED",
    "UPDATE_FIELDS",
    "GatewayDraft",
    "TrunkChanges",
    "TrunkDraft",
    "parse_trunk_create",
    "parse_trunk_update",
]

MSG_NAME_REQUIRED = "Trunk name is required"
MSG_PROVIDER_REQUIRED = "Provider is required"
MSG_AUTH_TYPE = "auth_type must be 'userpass' or 'ip-based'"
MSG_GATEWAY_REQUIRED = "At least one gateway is required"
MSG_USERPASS_REQUIRED = "auth_username and auth_password are required for userpass auth"
MSG_IP_IDENTIFIERS_REQUIRED = "ip_identifiers are required for ip-based auth"
MSG_AUTH_NOT_USED = "auth_username and auth_password are only used by userpass trunks"

# The boolean settings a body may set.
_FLAG_SETTINGS = (
    "direct_media", "rtp_symmetric", "force_rport", "ice_support", "inbound_enabled",
    "outbound_leading_plus_enabled",
)  # fmt: skip
_GATEWAY_FIELDS = frozenset({"gateway_address", "port", "priority", "weight"})
_IDENTIFIER_FIELDS = frozenset({"ip_address"})
_SHARED_FIELDS = frozenset(
    {
        "name", "provider", "description", "auth_username", "auth_password", "gateways", "ip_identifiers",
        "allow", "disallow", "transport", "qualify_frequency", *_FLAG_SETTINGS,
    }
)  # fmt: skip
#: The fields a create body may carry.
CREATE_FIELDS = _SHARED_FIELDS | {"auth_type", "phone_numbers"}
#: The fields an update body may carry.
UPDATE_FIELDS = _SHARED_FIELDS | {"is_active"}
_UPDATE_ONLY_HINTS = {
    "auth_type": ": auth_type cannot be changed; create a new trunk instead",
    "phone_numbers": ": add or remove numbers through the trunk's numbers endpoints",
}


@attrs.frozen
class GatewayDraft:
    """A validated gateway, before it has an id."""

    address: str
    port: int = 5060
    priority: int = 1
    weight: int = 1


@attrs.frozen
class TrunkDraft:
    """A validated create body with the guide's defaults filled in."""

    name: str
    provider: str
    auth_type: AuthType
    gateways: tuple[GatewayDraft, ...]
    description: str | None = None
    auth_username: str | None = None
    auth_password: Secret | None = None
    ip_identifiers: tuple[str, ...] = ()
    settings: Mapping[str, bool | int | str] = attrs.field(factory=dict)
    phone_numbers: tuple[NumberDraft, ...] = ()


@attrs.frozen
class TrunkChanges:
    """A validated update body: only the fields that were sent, ``MISSING`` elsewhere."""

    name: str | Missing = MISSING
    provider: str | Missing = MISSING
    description: str | Missing | None = MISSING
    is_active: bool | Missing = MISSING
    auth_username: str | Missing | None = MISSING
    auth_password: Secret | Missing | None = MISSING
    gateways: tuple[GatewayDraft, ...] | Missing = MISSING
    ip_identifiers: tuple[str, ...] | Missing = MISSING
    settings: Mapping[str, bool | int | str] = attrs.field(factory=dict)


def _name_check(value: str) -> str | None:
    return text_problem(value)


def _credential_check(value: str) -> str | None:
    return config_value_problem(value, list_item=True)


def _read_gateways(fields: FieldReader) -> tuple[GatewayDraft, ...] | None:
    """Read ``gateways``: ``None`` if absent, empty or refused (the caller reports a missing list)."""
    items = fields.array("gateways")
    if not isinstance(items, Sequence) or not items:
        return None
    if len(items) > MAX_GATEWAYS:
        fields.invalid("gateways", f"must have at most {MAX_GATEWAYS} gateways")
        return None
    before = len(fields.problems)
    drafts: list[GatewayDraft] = []
    seen: set[tuple[str, int]] = set()
    for index, item in enumerate(items):
        gateway = fields.item_reader("gateways", index, item)
        if gateway is None:
            continue
        address = gateway.text("gateway_address", nullable=False, check=host_problem)
        port = gateway.integer("port", *GATEWAY_BOUNDS["port"])
        priority = gateway.integer("priority", *GATEWAY_BOUNDS["priority"])
        weight = gateway.integer("weight", *GATEWAY_BOUNDS["weight"])
        gateway.refuse_unknown(_GATEWAY_FIELDS)
        if not isinstance(address, str):
            if not gateway.present("gateway_address"):
                path = gateway.path("gateway_address")
                gateway.fail("gateway_address", "gateway_address_required", f"{path} is required")
            continue
        draft = GatewayDraft(
            address=address,
            port=port if isinstance(port, int) else 5060,
            priority=priority if isinstance(priority, int) else 1,
            weight=weight if isinstance(weight, int) else 1,
        )
        key = (draft.address.lower(), draft.port)
        if key in seen:
            gateway.invalid("gateway_address", f"repeats gateway {draft.address}:{draft.port}")
        seen.add(key)
        drafts.append(draft)
    if len(fields.problems) > before:
        return None
    return tuple(drafts)


def _read_identifiers(fields: FieldReader) -> tuple[str, ...] | Missing | None:
    """Read ``ip_identifiers``: the addresses, ``MISSING`` if absent, ``None`` if refused."""
    if not fields.present("ip_identifiers"):
        return MISSING
    items = fields.array("ip_identifiers")
    if items is None:
        return ()
    if not isinstance(items, Sequence):
        return None
    before = len(fields.problems)
    addresses: list[str] = []
    for index, item in enumerate(items):
        identifier = fields.item_reader("ip_identifiers", index, item)
        if identifier is None:
            continue
        address = identifier.text("ip_address", nullable=False, check=ip_identifier_problem)
        identifier.refuse_unknown(_IDENTIFIER_FIELDS)
        if not isinstance(address, str):
            if not identifier.present("ip_address"):
                identifier.fail("ip_address", "ip_address_required", f"{identifier.path('ip_address')} is required")
            continue
        if address in addresses:
            identifier.invalid("ip_address", f"repeats {address}")
        addresses.append(address)
    if len(fields.problems) > before:
        return None
    return tuple(addresses)


def _read_settings(fields: FieldReader) -> dict[str, bool | int | str]:
    settings: dict[str, bool | int | str] = {}
    for name in _FLAG_SETTINGS:
        flag = fields.flag(name)
        if isinstance(flag, bool):
            settings[name] = flag
    frequency = fields.integer("qualify_frequency", *SETTING_BOUNDS["qualify_frequency"])
    if isinstance(frequency, int):
        settings["qualify_frequency"] = frequency
    for name in ("allow", "disallow"):
        codecs = fields.text(name, nullable=False, check=codec_list_problem)
        if isinstance(codecs, str):
            settings[name] = codecs
    allow = settings.get("allow")
    if isinstance(allow, str) and not {"ulaw", "alaw", "all"} & set(allow.split(",")):
        fields.invalid("allow", "must include ulaw or alaw (the platform's media layer uses G.711)")
        del settings["allow"]
    transport = fields.text("transport", nullable=False)
    if isinstance(transport, str):
        if transport in TRANSPORTS:
            settings["transport"] = transport
        else:
            fields.invalid("transport", f"must be one of {', '.join(sorted(TRANSPORTS))}")
    return settings


def _read_required_text(fields: FieldReader, name: str, code: str, message: str) -> str | None:
    """A required free-text field whose absence, ``null`` or blank value has the guide's message."""
    value = fields.data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        fields.problems.append(Problem(fields.path(name), code, message))
        return None
    read = fields.text(name, nullable=False, check=_name_check)
    return read if isinstance(read, str) else None


def _read_credentials(fields: FieldReader) -> tuple[str | Missing | None, Secret | Missing | None]:
    username = fields.text("auth_username", check=_credential_check)
    password = fields.text("auth_password", check=_credential_check)
    secret: Secret | Missing | None = Secret(password) if isinstance(password, str) else password
    return username, secret


def parse_trunk_create(payload: object, default_region: str | None = None) -> TrunkDraft:
    """Validate a create body; raise :class:`ValidationFailed` listing every problem, the guide's first."""
    data = as_mapping(payload)
    problems: list[Problem] = []
    fields = FieldReader(data, "", problems)
    name = _read_required_text(fields, "name", "trunk_name_required", MSG_NAME_REQUIRED)
    provider = _read_required_text(fields, "provider", "provider_required", MSG_PROVIDER_REQUIRED)
    raw_auth_type = data.get("auth_type")
    auth_type = next((kind for kind in AuthType if kind.value == raw_auth_type), None)
    if auth_type is None:
        fields.fail("auth_type", "invalid_auth_type", MSG_AUTH_TYPE)
    gateways = _read_gateways(fields)
    if gateways is None and not any(p.path.startswith("gateways") for p in problems):
        fields.fail("gateways", "gateway_required", MSG_GATEWAY_REQUIRED)
    username, password = _read_credentials(fields)
    has_username = isinstance(username, str) and username != ""
    has_password = isinstance(password, Secret) and password.reveal() != ""
    identifiers = _read_identifiers(fields)
    if auth_type is AuthType.USERPASS and not (has_username and has_password):
        fields.fail("auth_username", "userpass_credentials_required", MSG_USERPASS_REQUIRED)
    if auth_type is AuthType.IP_BASED:
        if not identifiers and identifiers is not None:
            fields.fail("ip_identifiers", "ip_identifiers_required", MSG_IP_IDENTIFIERS_REQUIRED)
        if has_username or has_password:
            fields.fail("auth_username", "auth_not_used", MSG_AUTH_NOT_USED)
    description = fields.text("description", check=text_problem)
    settings = _read_settings(fields)
    numbers: list[NumberDraft] = []
    number_items = fields.array("phone_numbers")
    if isinstance(number_items, Sequence):
        for index, item in enumerate(number_items):
            reader = fields.item_reader("phone_numbers", index, item)
            number = read_number(reader, default_region) if reader is not None else None
            if number is not None:
                numbers.append(number)
    fields.refuse_unknown(CREATE_FIELDS)
    if problems:
        raise ValidationFailed(problems)
    # No problem recorded means every required field was read.
    assert name is not None
    assert provider is not None
    assert auth_type is not None
    assert gateways is not None
    return TrunkDraft(
        name=name,
        provider=provider,
        auth_type=auth_type,
        gateways=gateways,
        description=description if isinstance(description, str) else None,
        auth_username=username if has_username and isinstance(username, str) else None,
        auth_password=password if has_password and isinstance(password, Secret) else None,
        ip_identifiers=identifiers if isinstance(identifiers, tuple) else (),
        settings=settings,
        phone_numbers=tuple(numbers),
    )


def parse_trunk_update(payload: object) -> TrunkChanges:
    """Validate a partial update body (each field on its own); cross-field rules run when it meets the trunk."""
    data = as_mapping(payload)
    problems: list[Problem] = []
    fields = FieldReader(data, "", problems)
    name: str | Missing = MISSING
    if fields.present("name"):
        read = _read_required_text(fields, "name", "trunk_name_required", MSG_NAME_REQUIRED)
        name = read if read is not None else MISSING
    provider: str | Missing = MISSING
    if fields.present("provider"):
        read = _read_required_text(fields, "provider", "provider_required", MSG_PROVIDER_REQUIRED)
        provider = read if read is not None else MISSING
    gateways: tuple[GatewayDraft, ...] | Missing = MISSING
    if fields.present("gateways"):
        read_gateways = _read_gateways(fields)
        if read_gateways is None and not any(p.path.startswith("gateways") for p in problems):
            fields.fail("gateways", "gateway_required", MSG_GATEWAY_REQUIRED)
        gateways = read_gateways if read_gateways is not None else MISSING
    username, password = _read_credentials(fields)
    identifiers = _read_identifiers(fields)
    description = fields.text("description", check=text_problem)
    is_active = fields.flag("is_active")
    settings = _read_settings(fields)
    for name_, hint in _UPDATE_ONLY_HINTS.items():
        if fields.present(name_):
            fields.fail(name_, "field_not_updatable", f"Unknown field '{name_}'{hint}")
    fields.refuse_unknown(UPDATE_FIELDS | frozenset(_UPDATE_ONLY_HINTS))
    if problems:
        raise ValidationFailed(problems)
    return TrunkChanges(
        name=name,
        provider=provider,
        description=description,
        is_active=is_active,
        auth_username=username,
        auth_password=password,
        gateways=gateways,
        ip_identifiers=identifiers if isinstance(identifiers, tuple) else MISSING,
        settings=settings,
    )
