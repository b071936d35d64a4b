"""Mapping between domain values and SQL rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import cattrs

from byot_core.adapters.sql.account_repository import countries_column, countries_from_column
from byot_core.domain.causes import HangupReason
from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.execution import Attempt, Direction, Execution
from byot_core.domain.media import MediaStats
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.recording import Recording
from byot_core.domain.secret import SealedSecret
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import Transfer
from byot_core.domain.trunk import AuthType, CallPolicy, Gateway, IpIdentifier, SyncState, Trunk, TrunkSettings
from byot_core.domain.uniqueness import name_key

__all__ = [
    "execution_from_row",
    "execution_values",
    "gateway_from_row",
    "gateway_values",
    "identifier_from_row",
    "identifier_values",
    "number_from_row",
    "number_values",
    "trunk_from_row",
    "trunk_values",
]

Row = Mapping[Any, Any]
# A trunk's settings are columns of its row, named as the attrs class names them.
_SETTINGS = tuple(field.name for field in attrs.fields(TrunkSettings))
_POLICY = tuple(field.name for field in attrs.fields(CallPolicy))

# Attempts and the hangup reason are stored as JSON; datetimes as ISO 8601 text.
_json = cattrs.Converter()
_json.register_unstructure_hook(datetime, datetime.isoformat)
_json.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))


def trunk_values(trunk: Trunk) -> dict[str, Any]:
    """The trunk's row, without ``revision``: storage sets that itself (1 on insert, one more on each update)."""
    return {
        "id": trunk.id,
        "account_id": trunk.account_id,
        "name": trunk.name,
        "name_key": name_key(trunk.name),
        "provider": trunk.provider,
        "description": trunk.description,
        "default_inbound_agent_id": trunk.default_inbound_agent_id,
        "channels": trunk.channels,
        "calls_per_second": trunk.calls_per_second,
        "auth_type": trunk.auth_type.value,
        "auth_username": trunk.auth_username,
        "auth_password": trunk.auth_password.token if trunk.auth_password else None,
        "inbound_auth_username": trunk.inbound_auth_username,
        "inbound_auth_password": trunk.inbound_auth_password.token if trunk.inbound_auth_password else None,
        **{name: getattr(trunk.settings, name) for name in _SETTINGS},
        **{name: getattr(trunk.policy, name) for name in _POLICY},
        "outbound_countries": countries_column(trunk.destinations.countries),
        "outbound_premium_rate": trunk.destinations.premium_rate,
        "outbound_shared_cost": trunk.destinations.shared_cost,
        "outbound_satellite": trunk.destinations.satellite,
        "is_active": trunk.is_active,
        "deleted": trunk.deleted,
        "sync_state": trunk.sync_state.value,
        "created_at": trunk.created_at,
        "updated_at": trunk.updated_at,
    }


def trunk_from_row(row: Row, gateways: Sequence[Gateway], identifiers: Sequence[IpIdentifier]) -> Trunk:
    """A trunk from its row and its children."""
    return Trunk(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        provider=row["provider"],
        description=row["description"],
        default_inbound_agent_id=row["default_inbound_agent_id"],
        channels=row["channels"],
        calls_per_second=row["calls_per_second"],
        auth_type=AuthType(row["auth_type"]),
        auth_username=row["auth_username"],
        auth_password=SealedSecret(row["auth_password"]) if row["auth_password"] is not None else None,
        inbound_auth_username=row["inbound_auth_username"],
        inbound_auth_password=(
            SealedSecret(row["inbound_auth_password"]) if row["inbound_auth_password"] is not None else None
        ),
        gateways=tuple(gateways),
        ip_identifiers=tuple(identifiers),
        settings=TrunkSettings(**{name: row[name] for name in _SETTINGS}),
        policy=CallPolicy(**{name: row[name] for name in _POLICY}),
        destinations=DestinationPolicy(
            countries=countries_from_column(row["outbound_countries"]),
            premium_rate=row["outbound_premium_rate"],
            shared_cost=row["outbound_shared_cost"],
            satellite=row["outbound_satellite"],
        ),
        is_active=row["is_active"],
        deleted=row["deleted"],
        sync_state=SyncState(row["sync_state"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=row["revision"],
    )


def gateway_values(trunk_id: str, position: int, gateway: Gateway) -> dict[str, Any]:
    """A gateway's row."""
    return {
        "id": gateway.id,
        "trunk_id": trunk_id,
        "position": position,
        "address": gateway.address,
        "port": gateway.port,
        "priority": gateway.priority,
        "weight": gateway.weight,
        "created_at": gateway.created_at,
    }


def gateway_from_row(row: Row) -> Gateway:
    """A gateway from its row."""
    return Gateway(row["id"], row["address"], row["port"], row["priority"], row["weight"], row["created_at"])


def identifier_values(trunk_id: str, position: int, identifier: IpIdentifier) -> dict[str, Any]:
    """An IP identifier's row."""
    return {
        "id": identifier.id,
        "trunk_id": trunk_id,
        "position": position,
        "ip_address": identifier.ip_address,
        "created_at": identifier.created_at,
    }


def identifier_from_row(row: Row) -> IpIdentifier:
    """An IP identifier from its row."""
    return IpIdentifier(row["id"], row["ip_address"], row["created_at"])


def number_values(number: PhoneNumber, holds_did: bool) -> dict[str, Any]:
    """A phone number's row, with whether it holds its DID."""
    return {
        "id": number.id,
        "account_id": number.account_id,
        "trunk_id": number.trunk_id,
        "phone_number": number.phone_number,
        "canonical_key": number.canonical_key,
        "name": number.name,
        "e164_check_enabled": number.e164_check_enabled,
        "is_active": number.is_active,
        "agent_id": number.agent_id,
        "deleted": number.deleted,
        "holds_did": holds_did,
        "created_at": number.created_at,
        "updated_at": number.updated_at,
    }


def number_from_row(row: Row) -> PhoneNumber:
    """A phone number from its row."""
    return PhoneNumber(
        id=row["id"],
        account_id=row["account_id"],
        trunk_id=row["trunk_id"],
        phone_number=row["phone_number"],
        canonical_key=row["canonical_key"],
        name=row["name"],
        e164_check_enabled=row["e164_check_enabled"],
        is_active=row["is_active"],
        agent_id=row["agent_id"],
        deleted=row["deleted"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def execution_values(execution: Execution) -> dict[str, Any]:
    """An execution's row."""
    return {
        "id": execution.id,
        "account_id": execution.account_id,
        "agent_id": execution.agent_id,
        "direction": execution.direction.value,
        "status": execution.status.value,
        "from_number": execution.from_number,
        "to_number": execution.to_number,
        "recipient_name": execution.recipient_name,
        "trunk_id": execution.trunk_id,
        "phone_number_id": execution.phone_number_id,
        "gateway_plan": list(execution.gateway_plan),
        "attempts": _json.unstructure(list(execution.attempts)),
        "hangup_reason": _json.unstructure(execution.hangup_reason),
        "created_at": execution.created_at,
        "updated_at": execution.updated_at,
        "answered_at": execution.answered_at,
        "ended_at": execution.ended_at,
        "media": _json.unstructure(execution.media),
        "ring_timeout_seconds": execution.ring_timeout_seconds,
        "instance_id": execution.instance_id,
        "transfers": _json.unstructure(list(execution.transfers)),
        "record": execution.record,
        "recording": _json.unstructure(execution.recording),
        "status_callback_url": execution.status_callback_url,
    }


def execution_from_row(row: Row) -> Execution:
    """An execution from its row."""
    reason = row["hangup_reason"]
    return Execution(
        id=row["id"],
        account_id=row["account_id"],
        agent_id=row["agent_id"],
        direction=Direction(row["direction"]),
        status=ExecutionStatus(row["status"]),
        from_number=row["from_number"],
        to_number=row["to_number"],
        recipient_name=row["recipient_name"],
        trunk_id=row["trunk_id"],
        phone_number_id=row["phone_number_id"],
        gateway_plan=tuple(row["gateway_plan"]),
        attempts=tuple(_json.structure(row["attempts"], list[Attempt])),
        hangup_reason=_json.structure(reason, HangupReason) if reason is not None else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        answered_at=row["answered_at"],
        ended_at=row["ended_at"],
        media=_json.structure(row["media"], MediaStats) if row["media"] is not None else None,
        ring_timeout_seconds=row["ring_timeout_seconds"],
        instance_id=row["instance_id"],
        transfers=tuple(_json.structure(row["transfers"] or [], list[Transfer])),
        record=bool(row["record"]),
        recording=_json.structure(row["recording"], Recording) if row["recording"] is not None else None,
        status_callback_url=row["status_callback_url"],
    )
