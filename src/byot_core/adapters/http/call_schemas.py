"""The OpenAPI components of calls (placing one, its execution, how an inbound one is routed) and of errors."""

from __future__ import annotations

from byot_core.adapters.http.schema_parts import TS, TS_NULL, Json, nullable
from byot_core.domain.call_request import RING_TIMEOUT_BOUNDS
from byot_core.domain.routing import RejectReason

__all__ = ["CALL_SCHEMAS"]

CALL_SCHEMAS: Json = {
    "Error": {
        "type": "object",
        "required": ["detail", "code"],
        "properties": {
            "detail": {"type": "string", "description": "The (first) problem, in the guide's words"},
            "code": {"type": "string"},
            "problems": {
                "type": "array",
                "description": "Beyond the guide, on a 400 for invalid input: every problem found",
                "items": {
                    "type": "object",
                    "required": ["path", "code", "message"],
                    "properties": {
                        "path": {"type": "string"},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "DtmfRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["digits"],
        "properties": {
            "digits": {
                "type": "string",
                "pattern": "^[0-9*#A-Dw]{1,64}$",
                "description": "Keys to play: 0-9, *, #, A-D, and w for a half-second pause; at most 64",
            },
        },
    },
    "TransferRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["to"],
        "properties": {
            "to": {"type": "string", "description": "The number to transfer the call to (E.164)"},
            "mode": {
                "type": "string",
                "enum": ["bridge", "refer"],
                "default": "bridge",
                "description": "`bridge`: dialled through the call's trunk and bridged; `refer`: a SIP REFER to the "
                "carrier, which places the new call",
            },
            "ring_timeout_seconds": {
                "type": "integer",
                "minimum": RING_TIMEOUT_BOUNDS[0],
                "maximum": RING_TIMEOUT_BOUNDS[1],
                "description": "`bridge`: how long the target rings (default: the trunk's ring_timeout_seconds)",
            },
        },
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
                "properties": {"phone_number": {"type": "string"}, "name": nullable("string")},
            },
            "ring_timeout_seconds": {
                "type": ["integer", "null"],
                "minimum": RING_TIMEOUT_BOUNDS[0],
                "maximum": RING_TIMEOUT_BOUNDS[1],
                "description": "Beyond the guide: how long each attempt rings before the call ends no-answer "
                "(default: the trunk's ring_timeout_seconds)",
            },
            "record": {"type": "boolean", "description": "Beyond the guide: record the call once answered"},
            "status_callback_url": {
                "type": "string",
                "maxLength": 2048,
                "pattern": "^https?://",
                "description": "Beyond the guide: where the call's status events are POSTed (default: the agent's)",
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
            "hangup_reason": nullable("string"),
            "hangup_cause": {"type": ["object", "null"]},
            "from_number": {"type": "string"},
            "to_number": {"type": "string"},
            "recipient_name": nullable("string"),
            "trunk_id": nullable("string"),
            "phone_number_id": nullable("string"),
            "gateway_id": nullable("string"),
            "duration_seconds": {
                "type": ["number", "null"],
                "description": "Beyond the guide: billable, from the answer to the end (0 if never answered; null "
                "while the call goes on)",
            },
            "sip_call_id": {
                **nullable("string"),
                "description": "Beyond the guide: the SIP Call-ID of the caller's leg (the answered attempt's, else "
                "the last attempt's); null where the telephony does not report it",
            },
            "codec": {
                **nullable("string"),
                "description": "Beyond the guide: the audio codec the caller's leg agreed (ulaw, alaw, …), once "
                "answered",
            },
            "attempts": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}},
            "transfers": {
                "type": "array",
                "description": "Beyond the guide: the call's transfers, oldest first",
                "items": {"$ref": "#/components/schemas/Transfer"},
            },
            "record": {"type": "boolean", "description": "Beyond the guide: whether the call is recorded"},
            "status_callback_url": {
                **nullable("string"),
                "description": "Beyond the guide: where the call's status events go",
            },
            "recording": {
                "type": ["object", "null"],
                "description": "Beyond the guide: the call's recording (GET /executions/{id}/recording once stored)",
                "properties": {
                    "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["recording", "stored", "failed"]},
                    "started_at": TS,
                    "seconds": nullable("number"),
                    "size_bytes": nullable("integer"),
                    "detail": nullable("string"),
                },
            },
            "created_at": TS,
            "updated_at": TS,
            "answered_at": TS_NULL,
            "ended_at": TS_NULL,
            "media": {
                "type": "object",
                "description": "What the call's media connection to its agent carried (absent until it is over)",
                "properties": {
                    "protocol": {"type": "string", "enum": ["asterisk", "twilio"]},
                    "ending": {
                        "type": "string",
                        "enum": [
                            "caller-left",
                            "agent-closed",
                            "agent-failed",
                            "asterisk-closed",
                            "not-connected",
                            "transferred",
                        ],
                    },
                    "frames_to_agent": nullable("integer"),
                    "frames_to_caller": nullable("integer"),
                    "seconds_to_agent": nullable("number"),
                    "seconds_to_caller": nullable("number"),
                    "marks": nullable("integer"),
                    "flushes": nullable("integer"),
                    "dtmf": nullable("integer"),
                    "detail": nullable("string"),
                    "late_frames": {
                        **nullable("integer"),
                        "description": "Agent audio frames sent after Asterisk ran out while the relay held them",
                    },
                    "added_latency_ms": {
                        **nullable("number"),
                        "description": "Mean time the relay took to pass the caller's audio to the agent",
                    },
                    "max_added_latency_ms": nullable("number"),
                },
            },
        },
    },
    "Attempt": {
        "type": "object",
        "description": "One leg of a call: one try through one gateway, or the one inbound channel",
        "required": ["channel_id", "started_at", "result"],
        "properties": {
            "channel_id": {"type": "string"},
            "gateway_id": nullable("string"),
            "dialled": nullable("string"),
            "result": {"type": "string", "enum": ["pending", "answered", "route-failure", "final"]},
            "sip_code": nullable("integer"),
            "q850_cause": nullable("integer"),
            "started_at": TS,
            "ended_at": TS_NULL,
            "sip_call_id": {**nullable("string"), "description": "Beyond the guide: the leg's SIP Call-ID"},
            "codec": {**nullable("string"), "description": "Beyond the guide: the audio codec agreed once answered"},
        },
    },
    "Transfer": {
        "type": "object",
        "required": ["to", "mode", "status", "started_at", "legs"],
        "properties": {
            "to": {"type": "string"},
            "mode": {"type": "string", "enum": ["bridge", "refer"]},
            "status": {
                "type": "string",
                "enum": ["dialing", "ringing", "answered", "completed", "busy", "no-answer", "failed"],
            },
            "started_at": TS,
            "dialled": {"type": "string"},
            "ring_timeout_seconds": nullable("integer"),
            "gateway_plan": {"type": "array", "items": {"type": "string"}},
            "legs": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Attempt"},
                "description": "Each attempt to reach the target",
            },
            "answered_at": TS_NULL,
            "ended_at": TS_NULL,
            "sip_code": nullable("integer"),
            "q850_cause": nullable("integer"),
            "detail": nullable("string"),
        },
    },
    "RoutingDecision": {
        "type": "object",
        "description": "Beyond the guide: what routing decided for a call, and each rule it applied in order",
        "required": ["to", "routed", "checks"],
        "properties": {
            "to": {"type": "string"},
            "source": nullable("string"),
            "routed": {"type": "boolean"},
            "agent_id": nullable("string"),
            "phone_number_id": nullable("string"),
            "trunk_id": nullable("string"),
            "refused": {
                "type": ["string", "null"],
                "enum": [*(reason.code for reason in RejectReason), None],
                "description": "The rule that refused the call (null when routed)",
            },
            "sip_code": nullable("integer"),
            "q850_cause": nullable("integer"),
            "checks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rule", "passed", "detail"],
                    "properties": {
                        "rule": {"type": "string"},
                        "passed": {"type": "boolean"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
}
