"""The OpenAPI components of the reference API: request and answer shapes, the guide's own.

Field lists come from the attrs classes they serialise (a trunk's settings, a gateway) and bounds from the
validation's constants (``GATEWAY_BOUNDS``, ``SETTING_BOUNDS``, ``MAX_GATEWAYS``), so the document cannot drift from
what is enforced.
"""

from __future__ import annotations

from typing import Any

import attrs

from byot_core.adapters.http.call_schemas import CALL_SCHEMAS
from byot_core.adapters.http.policy_schemas import POLICY_SCHEMAS
from byot_core.adapters.http.schema_parts import TS as _TS
from byot_core.adapters.http.schema_parts import TS_NULL as _TS_NULL
from byot_core.adapters.http.schema_parts import Json, ref
from byot_core.adapters.http.schema_parts import nullable as _nullable
from byot_core.domain.pacing import CPS_BOUNDS
from byot_core.domain.sip_values import MEDIA_ENCRYPTIONS, TRANSPORTS
from byot_core.domain.trunk import (
    CHANNEL_BOUNDS,
    GATEWAY_BOUNDS,
    MAX_GATEWAYS,
    MAX_IP_IDENTIFIERS,
    MAX_NUMBERS_AT_CREATION,
    OPTION_FIELDS,
    SETTING_BOUNDS,
    Gateway,
)

__all__ = ["SCHEMAS", "Json", "ref"]


def _integer(bounds: tuple[int, int], **more: Any) -> Json:
    return {"type": "integer", "minimum": bounds[0], "maximum": bounds[1], **more}


def _settings() -> Json:
    """One property per trunk setting, typed by its default, bounded as validated."""
    properties: Json = {}
    for field in OPTION_FIELDS:
        if field.name == "transport":
            properties[field.name] = {"type": "string", "enum": sorted(TRANSPORTS), "default": field.default}
        elif field.name == "media_encryption":
            properties[field.name] = {"type": "string", "enum": list(MEDIA_ENCRYPTIONS), "default": field.default}
        elif isinstance(field.default, bool):
            properties[field.name] = {"type": "boolean", "default": field.default}
        elif isinstance(field.default, int):
            properties[field.name] = _integer(SETTING_BOUNDS[field.name], default=field.default)
        else:
            properties[field.name] = {"type": "string", "default": field.default}
    return properties


def _gateway_input() -> Json:
    """A gateway as a body gives it: ``gateway_address`` (the attribute ``address``) and its bounded numbers."""
    properties: Json = {"gateway_address": {"type": "string"}}
    for field in attrs.fields(Gateway):
        if field.name in GATEWAY_BOUNDS:
            properties[field.name] = _integer(GATEWAY_BOUNDS[field.name], default=field.default)
    properties["port"]["description"] = "Default 5060; 5061 on a trunk whose transport is transport-tls"
    return {"type": "object", "additionalProperties": False, "required": ["gateway_address"], "properties": properties}


_IDENTIFIER_IN: Json = {
    "type": "object",
    "additionalProperties": False,
    "required": ["ip_address"],
    "properties": {"ip_address": {"type": "string"}},
}
_NUMBER_IN: Json = {
    "type": "object",
    "additionalProperties": False,
    "required": ["phone_number"],
    "properties": {
        "phone_number": {"type": "string"},
        "name": _nullable("string"),
        "e164_check_enabled": {"type": "boolean", "default": False},
        "is_active": {"type": "boolean", "default": True},
    },
}
_SETTINGS = _settings()
_COMMON_IN: Json = {
    "name": {"type": "string"},
    "provider": {"type": "string"},
    "description": _nullable("string"),
    "auth_username": _nullable("string"),
    "auth_password": {"type": ["string", "null"], "writeOnly": True},
    "gateways": {"type": "array", "items": ref("GatewayInput"), "minItems": 1, "maxItems": MAX_GATEWAYS},
    "ip_identifiers": {"type": ["array", "null"], "items": ref("IpIdentifierInput"), "maxItems": MAX_IP_IDENTIFIERS},
    **_SETTINGS,
    "channels": {
        "type": ["integer", "null"],
        "minimum": CHANNEL_BOUNDS[0],
        "maximum": CHANNEL_BOUNDS[1],
        "description": "Beyond the guide: calls in progress at once on the trunk, inbound and outbound together "
        "(null: no limit)",
    },
    "calls_per_second": {
        "type": ["integer", "null"],
        "minimum": CPS_BOUNDS[0],
        "maximum": CPS_BOUNDS[1],
        "description": "Beyond the guide: outbound attempts started per second on the trunk, at most (null: no pace)",
    },
    "default_inbound_agent_id": {
        **_nullable("string"),
        "maxLength": 128,
        "description": "Beyond the guide: the agent (of this account) that answers calls to the trunk's numbers "
        "without an agent of their own",
    },
    "inbound_auth": {
        "type": ["object", "null"],
        "additionalProperties": False,
        "required": ["username"],
        "properties": {"username": {"type": "string", "minLength": 1, "maxLength": 64}},
        "description": "Beyond the guide: the carrier's calls must authenticate (digest) as this username; the "
        "password is generated and answered once. Sent again, a new password; null (update) removes it",
    },
    "outbound_destinations": ref("TrunkDestinations"),
}
SCHEMAS: Json = {
    **CALL_SCHEMAS,
    **POLICY_SCHEMAS,
    "Message": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
    "GatewayInput": _gateway_input(),
    "IpIdentifierInput": _IDENTIFIER_IN,
    "PhoneNumberCreate": _NUMBER_IN,
    "TrunkCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "provider", "auth_type", "gateways"],
        "properties": {
            **_COMMON_IN,
            "auth_type": {"type": "string", "enum": ["userpass", "ip-based"]},
            "phone_numbers": {
                "type": ["array", "null"],
                "items": ref("PhoneNumberCreate"),
                "maxItems": MAX_NUMBERS_AT_CREATION,
            },
        },
    },
    "TrunkUpdate": {
        "type": "object",
        "description": "Only the fields sent change. A list sent (gateways, ip_identifiers) replaces the whole list: "
        "send every gateway the trunk should keep; gateways left out are removed.",
        "additionalProperties": False,
        "properties": {**_COMMON_IN, "is_active": {"type": "boolean"}},
    },
    "Gateway": {
        "type": "object",
        "required": ["id", "gateway_address", "port", "priority", "weight", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "gateway_address": {"type": "string"},
            "port": {"type": "integer"},
            "priority": {"type": "integer"},
            "weight": {"type": "integer"},
            "created_at": _TS_NULL,
            "health": ref("GatewayHealth"),
        },
    },
    "IpIdentifier": {
        "type": "object",
        "required": ["id", "ip_address"],
        "properties": {"id": {"type": "string"}, "ip_address": {"type": "string"}, "created_at": _TS_NULL},
    },
    "PhoneNumber": {
        "type": "object",
        "required": ["id", "phone_number", "user_id", "byot_trunk_id", "telephony_provider", "agent_id", "deleted"],
        "properties": {
            "id": {"type": "string"},
            "phone_number": {"type": "string"},
            "name": _nullable("string"),
            "user_id": {"type": "string"},
            "byot_trunk_id": {"type": "string"},
            "telephony_provider": {"type": "string", "const": "sip-trunk"},
            "agent_id": _nullable("string"),
            "is_active": {"type": "boolean"},
            "e164_check_enabled": {"type": "boolean"},
            "deleted": {"type": "boolean"},
            "created_at": _TS,
            "updated_at": _TS,
        },
    },
    "Trunk": {
        "type": "object",
        "required": ["id", "user_id", "name", "provider", "auth_type", "gateways", "ip_identifiers", "is_active"],
        "properties": {
            "id": {"type": "string"},
            "user_id": {"type": "string"},
            "name": {"type": "string"},
            "provider": {"type": "string"},
            "description": _nullable("string"),
            "auth_type": {"type": "string", "enum": ["userpass", "ip-based"]},
            "auth_username": _nullable("string"),
            "gateways": {"type": "array", "items": ref("Gateway")},
            "ip_identifiers": {"type": "array", "items": ref("IpIdentifier")},
            "phone_numbers": {"type": "array", "items": ref("PhoneNumber")},
            "phone_numbers_count": {"type": "integer"},
            **_SETTINGS,
            "default_inbound_agent_id": _nullable("string"),
            "channels": _nullable("integer"),
            "calls_per_second": _nullable("integer"),
            "inbound_auth": {
                "type": ["object", "null"],
                "properties": {
                    "username": {"type": "string"},
                    "password": {"type": "string", "description": "Only in the answer that made it"},
                },
            },
            "outbound_destinations": ref("TrunkDestinations"),
            "is_active": {"type": "boolean"},
            "sync_state": {"type": "string", "enum": ["pending", "applied", "failed"]},
            "sync_error": {
                **_nullable("string"),
                "description": "Beyond the guide: while sync_state is failed, why (the trunk object, not listings)",
            },
            "created_at": _TS,
            "updated_at": _TS,
        },
    },
    "InboundMapping": {
        "type": "object",
        "additionalProperties": False,
        "required": ["agent_id", "phone_number_id"],
        "properties": {"agent_id": {"type": "string"}, "phone_number_id": {"type": "string"}},
    },
    "AgentConfig": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "agent_name": {"type": "string"},
            "telephony_provider": _nullable("string"),
            "media_url": {**_nullable("string"), "maxLength": 2048, "pattern": "^wss?://"},
            "record_calls": {"type": "boolean", "description": "Beyond the guide: record the agent's inbound calls"},
            "status_callback_url": {
                **_nullable("string"),
                "maxLength": 2048,
                "pattern": "^https?://",
                "description": "Beyond the guide: where the agent's calls' status events are POSTed (null: nowhere)",
            },
        },
    },
    "AgentWrite": {
        "type": "object",
        "additionalProperties": False,
        "required": ["agent_config"],
        "properties": {"agent_config": ref("AgentConfig")},
    },
    "AgentCreated": {
        "type": "object",
        "required": ["agent_id", "status"],
        "properties": {"agent_id": {"type": "string"}, "status": {"type": "string"}},
    },
    "Agent": {
        "type": "object",
        "required": ["id", "agent_config"],
        "properties": {
            "id": {"type": "string"},
            "user_id": {"type": "string"},
            "agent_name": _nullable("string"),
            "agent_config": {
                "type": "object",
                "properties": {
                    "telephony_provider": _nullable("string"),
                    "audio_format": _nullable("string"),
                    "media_url": _nullable("string"),
                    "record_calls": {"type": "boolean"},
                    "status_callback_url": _nullable("string"),
                },
            },
        },
    },
}
