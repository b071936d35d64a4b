"""The OpenAPI 3.1 document of the reference API, written out by hand: the guide fixes its shapes."""

from __future__ import annotations

from typing import Any

__all__ = ["openapi_document"]

_S = "#/components/schemas/"
Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": _S + name}


def _nullable(kind: str) -> Json:
    return {"type": [kind, "null"]}


_TS = {"type": "string", "format": "date-time"}
_TS_NULL = {"type": ["string", "null"], "format": "date-time"}
_GATEWAY_IN: Json = {
    "type": "object",
    "additionalProperties": False,
    "required": ["gateway_address"],
    "properties": {
        "gateway_address": {"type": "string"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 5060},
        "priority": {"type": "integer", "minimum": 1, "default": 1},
        "weight": {"type": "integer", "minimum": 1, "default": 1},
    },
}
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
_SETTINGS: Json = {
    "allow": {"type": "string", "default": "ulaw,alaw"},
    "disallow": {"type": "string", "default": "all"},
    "transport": {"type": "string", "enum": ["transport-udp", "transport-tcp", "transport-tls"]},
    "direct_media": {"type": "boolean"},
    "rtp_symmetric": {"type": "boolean"},
    "force_rport": {"type": "boolean"},
    "ice_support": {"type": "boolean"},
    "qualify_frequency": {"type": "integer", "minimum": 0, "maximum": 86400},
    "inbound_enabled": {"type": "boolean"},
    "outbound_leading_plus_enabled": {"type": "boolean"},
}
_COMMON_IN: Json = {
    "name": {"type": "string"},
    "provider": {"type": "string"},
    "description": _nullable("string"),
    "auth_username": _nullable("string"),
    "auth_password": {"type": ["string", "null"], "writeOnly": True},
    "gateways": {"type": "array", "items": _ref("GatewayInput"), "minItems": 1},
    "ip_identifiers": {"type": ["array", "null"], "items": _ref("IpIdentifierInput")},
    **_SETTINGS,
}
_SCHEMAS: Json = {
    "Error": {
        "type": "object",
        "required": ["detail", "code"],
        "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    },
    "Message": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
    "GatewayInput": _GATEWAY_IN,
    "IpIdentifierInput": _IDENTIFIER_IN,
    "PhoneNumberCreate": _NUMBER_IN,
    "TrunkCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "provider", "auth_type", "gateways"],
        "properties": {
            **_COMMON_IN,
            "auth_type": {"type": "string", "enum": ["userpass", "ip-based"]},
            "phone_numbers": {"type": ["array", "null"], "items": _ref("PhoneNumberCreate")},
        },
    },
    "TrunkUpdate": {
        "type": "object",
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
            "gateways": {"type": "array", "items": _ref("Gateway")},
            "ip_identifiers": {"type": "array", "items": _ref("IpIdentifier")},
            "phone_numbers": {"type": "array", "items": _ref("PhoneNumber")},
            "phone_numbers_count": {"type": "integer"},
            **_SETTINGS,
            "is_active": {"type": "boolean"},
            "sync_state": {"type": "string", "enum": ["pending", "applied", "failed"]},
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
    "CallRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["agent_id", "recipient", "from_number"],
        "properties": {
            "agent_id": {"type": "string"},
            "from_number": {"type": "string"},
            "recipient": {
                "type": "object",
                "additionalProperties": False,
                "required": ["phone_number"],
                "properties": {"phone_number": {"type": "string"}, "name": _nullable("string")},
            },
        },
    },
    "CallAccepted": {
        "type": "object",
        "required": ["message", "status", "execution_id"],
        "properties": {"message": {"type": "string"}, "status": {"type": "string"}, "execution_id": {"type": "string"}},
    },
    "Execution": {
        "type": "object",
        "required": ["id", "agent_id", "direction", "status", "attempts", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "user_id": {"type": "string"},
            "agent_id": {"type": "string"},
            "direction": {"type": "string", "enum": ["outbound", "inbound"]},
            "status": {
                "type": "string",
                "enum": [
                    "initiated",
                    "ringing",
                    "in-progress",
                    "call-disconnected",
                    "completed",
                    "busy",
                    "no-answer",
                    "canceled",
                    "failed",
                    "balance-low",
                ],
            },
            "hangup_reason": _nullable("string"),
            "hangup_cause": {"type": ["object", "null"]},
            "from_number": {"type": "string"},
            "to_number": {"type": "string"},
            "recipient_name": _nullable("string"),
            "trunk_id": _nullable("string"),
            "phone_number_id": _nullable("string"),
            "gateway_id": _nullable("string"),
            "attempts": {"type": "array", "items": {"type": "object"}},
            "created_at": _TS,
            "updated_at": _TS,
            "answered_at": _TS_NULL,
            "ended_at": _TS_NULL,
        },
    },
    "AgentConfig": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"agent_name": {"type": "string"}, "telephony_provider": _nullable("string")},
    },
    "AgentWrite": {
        "type": "object",
        "additionalProperties": False,
        "required": ["agent_config"],
        "properties": {"agent_config": _ref("AgentConfig")},
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
                "properties": {"telephony_provider": _nullable("string"), "audio_format": _nullable("string")},
            },
        },
    },
}


def _answer(status: str, schema: str, description: str) -> Json:
    return {status: {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}}


def _errors(*statuses: str) -> Json:
    names = {"400": "Invalid request", "401": "Missing or wrong API key", "404": "Not found", "409": "Conflict",
             "413": "Body too large", "503": "Unavailable"}  # fmt: skip
    return {s: {"description": names[s], "content": {"application/json": {"schema": _ref("Error")}}} for s in statuses}


def _body(schema: str) -> Json:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _path_param(name: str) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _op(
    summary: str, answers: Json, errors: tuple[str, ...], body: str | None = None, params: tuple[str, ...] = ()
) -> Json:
    operation: Json = {"summary": summary, "responses": {**answers, **_errors("401", *errors)}}
    if body is not None:
        operation["requestBody"] = _body(body)
    if params:
        operation["parameters"] = [_path_param(p) for p in params]
    return operation


def _list_of(schema: str, description: str) -> Json:
    content = {"application/json": {"schema": {"type": "array", "items": _ref(schema)}}}
    return {"200": {"description": description, "content": content}}


def openapi_document() -> Json:
    """The OpenAPI 3.1 document."""
    write = ("400", "413")
    trunk_id = ("trunk_id",)
    is_active = {
        "name": "is_active",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
    }
    paths: Json = {
        "/sip-trunks/trunks": {
            "post": _op("Create a SIP trunk", _answer("201", "Trunk", "Created"), (*write, "409"), "TrunkCreate"),
            "get": {**_op("List trunks", _list_of("Trunk", "The account's trunks"), ("400",)), "parameters": [is_active]},
        },
        "/sip-trunks/trunks/{trunk_id}": {
            "get": _op("Get a trunk", _answer("200", "Trunk", "The trunk"), ("404",), params=trunk_id),
            "patch": _op("Update a trunk", _answer("200", "Trunk", "Updated"), (*write, "404", "409"), "TrunkUpdate", trunk_id),
            "delete": _op("Delete a trunk", _answer("200", "Message", "Deleted"), ("404",), params=trunk_id),
        },
        "/sip-trunks/trunks/{trunk_id}/numbers": {
            "post": _op("Add a number", _answer("201", "PhoneNumber", "Added"), (*write, "404", "409"), "PhoneNumberCreate", trunk_id),
            "get": _op("List a trunk's numbers", _list_of("PhoneNumber", "The numbers"), ("404",), params=trunk_id),
        },
        "/sip-trunks/trunks/{trunk_id}/numbers/{phone_number_id}": {
            "delete": _op("Remove a number", _answer("200", "Message", "Removed"), ("404",), params=("trunk_id", "phone_number_id")),
        },
        "/inbound/setup": {"post": _op("Map a number to an agent", _answer("200", "Message", "Mapped"), (*write, "404"), "InboundMapping")},
        "/inbound/unlink": {"post": _op("Unlink a number from an agent", _answer("200", "Message", "Unlinked"), (*write, "404", "409"), "InboundMapping")},
        "/call": {"post": _op("Place an outbound call", _answer("200", "CallAccepted", "Placed"), (*write, "404"), "CallRequest")},
        "/executions/{execution_id}": {"get": _op("Get an execution", _answer("200", "Execution", "The execution"), ("404",), params=("execution_id",))},
        "/v2/agent": {"post": _op("Create an agent", _answer("201", "AgentCreated", "Created"), write, "AgentWrite")},
        "/v2/agent/{agent_id}": {
            "get": _op("Get an agent", _answer("200", "Agent", "The agent"), ("404",), params=("agent_id",)),
            "patch": _op("Update an agent", _answer("200", "Agent", "Updated"), (*write, "404"), "AgentWrite", ("agent_id",)),
        },
        "/v2/agent/{agent_id}/executions": {
            "get": _op("An agent's executions, newest first", _list_of("Execution", "The executions"), ("404",), params=("agent_id",)),
        },
        "/{agent_id}": {"patch": _op("Update an agent (the guide's path)", _answer("200", "Agent", "Updated"), (*write, "404"), "AgentWrite", ("agent_id",))},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "byot-core reference API", "version": "0.1.0"},
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
