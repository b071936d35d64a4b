"""The guide's JSON shapes: domain values to the response bodies the guide documents.

One cattrs converter for this wire format. Field names follow the guide (``user_id`` for the account,
``gateway_address``, ``byot_trunk_id``); passwords are never written; timestamps are ISO 8601 in UTC with ``Z``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import cattrs

from byot_core.domain.execution import Attempt, Execution
from byot_core.domain.phone_number import TELEPHONY_PROVIDER, PhoneNumber
from byot_core.domain.trunk import Gateway, IpIdentifier, Trunk
from byot_core.ports.storage import TrunkSummary
from byot_core.services.views import TrunkDetails

__all__ = ["converter", "execution_json", "number_json", "trunk_json", "trunk_summary_json"]

JSON = dict[str, Any]


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _gateway(gateway: Gateway) -> JSON:
    return {
        "id": gateway.id,
        "gateway_address": gateway.address,
        "port": gateway.port,
        "priority": gateway.priority,
        "weight": gateway.weight,
        "created_at": _timestamp(gateway.created_at),
    }


def _identifier(identifier: IpIdentifier) -> JSON:
    return {"id": identifier.id, "ip_address": identifier.ip_address, "created_at": _timestamp(identifier.created_at)}


def _number(number: PhoneNumber) -> JSON:
    return {
        "id": number.id,
        "phone_number": number.phone_number,
        "name": number.name,
        "user_id": number.account_id,
        "byot_trunk_id": number.trunk_id,
        "telephony_provider": TELEPHONY_PROVIDER,
        "agent_id": number.agent_id,
        "is_active": number.is_active,
        "e164_check_enabled": number.e164_check_enabled,
        "deleted": number.deleted,
        "created_at": _timestamp(number.created_at),
        "updated_at": _timestamp(number.updated_at),
    }


def _trunk(trunk: Trunk) -> JSON:
    settings = converter.unstructure(trunk.settings)
    return {
        "id": trunk.id,
        "user_id": trunk.account_id,
        "name": trunk.name,
        "provider": trunk.provider,
        "description": trunk.description,
        "auth_type": trunk.auth_type.value,
        "auth_username": trunk.auth_username,
        "gateways": [_gateway(g) for g in trunk.gateways],
        "ip_identifiers": [_identifier(i) for i in trunk.ip_identifiers],
        "phone_numbers": [],
        **{k: settings[k] for k in ("allow", "disallow", "transport", "direct_media", "rtp_symmetric")},
        **{k: settings[k] for k in ("force_rport", "ice_support", "qualify_frequency", "inbound_enabled")},
        "outbound_leading_plus_enabled": settings["outbound_leading_plus_enabled"],
        "is_active": trunk.is_active,
        "sync_state": trunk.sync_state.value,
        "created_at": _timestamp(trunk.created_at),
        "updated_at": _timestamp(trunk.updated_at),
    }


def _attempt(attempt: Attempt) -> JSON:
    return {
        "channel_id": attempt.channel_id,
        "gateway_id": attempt.gateway_id,
        "dialled": attempt.dialled,
        "result": attempt.result.value,
        "sip_code": attempt.sip_code,
        "q850_cause": attempt.q850_cause,
        "started_at": _timestamp(attempt.started_at),
        "ended_at": _timestamp(attempt.ended_at),
    }


def _execution(execution: Execution) -> JSON:
    reason = execution.hangup_reason
    return {
        "id": execution.id,
        "user_id": execution.account_id,
        "agent_id": execution.agent_id,
        "direction": execution.direction.value,
        "status": execution.status.value,
        "hangup_reason": reason.text if reason else None,
        "hangup_cause": None
        if reason is None
        else {"name": reason.cause_name, "q850": reason.q850_cause, "sip": reason.sip_code},
        "from_number": execution.from_number,
        "to_number": execution.to_number,
        "recipient_name": execution.recipient_name,
        "trunk_id": execution.trunk_id,
        "phone_number_id": execution.phone_number_id,
        "gateway_id": execution.gateway_id,
        "attempts": [_attempt(a) for a in execution.attempts],
        "created_at": _timestamp(execution.created_at),
        "updated_at": _timestamp(execution.updated_at),
        "answered_at": _timestamp(execution.answered_at),
        "ended_at": _timestamp(execution.ended_at),
    }


#: The converter for the guide's JSON.
converter = cattrs.Converter()
converter.register_unstructure_hook(datetime, _timestamp)
converter.register_unstructure_hook(enum.Enum, lambda value: value.value)
converter.register_unstructure_hook(Gateway, _gateway)
converter.register_unstructure_hook(IpIdentifier, _identifier)
converter.register_unstructure_hook(PhoneNumber, _number)
converter.register_unstructure_hook(Trunk, _trunk)
converter.register_unstructure_hook(Execution, _execution)


def trunk_json(details: TrunkDetails) -> JSON:
    """The guide's full trunk object, with its phone numbers."""
    result = _trunk(details.trunk)
    result["phone_numbers"] = [_number(n) for n in details.phone_numbers]
    return result


def trunk_summary_json(summary: TrunkSummary) -> JSON:
    """A trunk in a listing: the trunk object with ``phone_numbers_count``."""
    result = _trunk(summary.trunk)
    del result["phone_numbers"]
    result["phone_numbers_count"] = summary.phone_numbers_count
    return result


def number_json(number: PhoneNumber) -> JSON:
    """The guide's phone number object."""
    return _number(number)


def execution_json(execution: Execution) -> JSON:
    """An execution record."""
    return _execution(execution)
