"""The guide's JSON shapes: domain values to the response bodies the guide documents.

One cattrs converter for this wire format: cattrs writes every attrs class field by field, with overrides for the
guide's names (``user_id`` for the account, ``gateway_address``, ``byot_trunk_id``) and for what is never written
(the sealed password, the canonical key, the gateway plan); a trunk's settings are written flat beside its own
fields. Timestamps are ISO 8601 in UTC with ``Z``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from byot_core.domain.causes import HangupReason
from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.execution import Attempt, Execution
from byot_core.domain.phone_number import TELEPHONY_PROVIDER, PhoneNumber
from byot_core.domain.routing import Route, RoutingDecision
from byot_core.domain.telephony import NOT_REPORTED, GatewayStatus
from byot_core.domain.trunk import CallPolicy, Gateway, IpIdentifier, Trunk, TrunkSettings
from byot_core.ports.storage import TrunkSummary
from byot_core.services.destinations import AccountDestinations
from byot_core.services.views import TrunkDetails

__all__ = [
    "converter",
    "decision_json",
    "destinations_json",
    "execution_json",
    "gateway_health_json",
    "number_json",
    "trunk_json",
    "trunk_summary_json",
]

JSON = dict[str, Any]


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _converter() -> cattrs.Converter:
    """One converter for the guide's JSON: renames and omissions as overrides, the rest as cattrs writes it."""
    converter = cattrs.Converter()
    converter.register_unstructure_hook(datetime, _timestamp)
    converter.register_unstructure_hook(enum.Enum, lambda value: value.value)

    def hook(cls: type[Any], **overrides: Any) -> Callable[[Any], JSON]:
        unstructure: Callable[[Any], JSON] = make_dict_unstructure_fn(cls, converter, **overrides)
        converter.register_unstructure_hook(cls, unstructure)
        return unstructure

    hook(Gateway, address=override(rename="gateway_address"))
    hook(IpIdentifier)
    hook(Attempt, reached_ringing=override(omit=True), answered=override(omit=True), taken=override(omit=True))
    hook(TrunkSettings)
    hook(DestinationPolicy, countries=override(unstruct_hook=list))
    hook(CallPolicy)
    hook(HangupReason, text=override(omit=True), cause_name=override(rename="name"),
         q850_cause=override(rename="q850"), sip_code=override(rename="sip"))  # fmt: skip
    number = hook(PhoneNumber, account_id=override(rename="user_id"), trunk_id=override(rename="byot_trunk_id"),
                  canonical_key=override(omit=True))  # fmt: skip
    # The settings are written flat, beside the trunk's own fields, as the guide shows them.
    trunk = hook(Trunk, account_id=override(rename="user_id"), auth_password=override(omit=True),
                 inbound_auth_username=override(omit=True), inbound_auth_password=override(omit=True),
                 deleted=override(omit=True), settings=override(omit=True), policy=override(omit=True),
                 destinations=override(rename="outbound_destinations"),
                 revision=override(omit=True))  # fmt: skip  # the revision travels as the ETag header
    execution = hook(Execution, account_id=override(rename="user_id"), gateway_plan=override(omit=True),
                     hangup_reason=override(omit=True), media=override(omit=True),
                     ring_timeout_seconds=override(omit=True), instance_id=override(omit=True))  # fmt: skip

    def number_json(value: PhoneNumber) -> JSON:
        return {**number(value), "telephony_provider": TELEPHONY_PROVIDER}

    def trunk_json(value: Trunk) -> JSON:
        username = value.inbound_auth_username
        return {
            **trunk(value),
            **converter.unstructure(value.settings),
            **converter.unstructure(value.policy),
            # Beyond the guide: the username carriers authenticate with (its password is shown once, when made).
            "inbound_auth": {"username": username} if username is not None else None,
            "phone_numbers": [],
        }

    def execution_json(value: Execution) -> JSON:
        reason, leg = value.hangup_reason, value.leg
        result: JSON = {
            **execution(value),
            "hangup_reason": reason.text if reason else None,
            "hangup_cause": converter.unstructure(reason) if reason else None,
            "gateway_id": leg.gateway_id if leg is not None else None,
            # Beyond the guide: the caller's leg's SIP Call-ID and agreed codec (each attempt carries its own).
            "sip_call_id": leg.sip_call_id if leg is not None else None,
            "codec": leg.codec if leg is not None else None,
            # Beyond the guide: answered time, billable (null while the call goes on).
            "duration_seconds": value.duration_seconds,
        }
        if value.media is not None:
            # Beyond the guide, so only present once there is something to say.
            stats = value.media
            result["media"] = {
                "protocol": stats.protocol.value,
                "ending": stats.ending,
                "frames_to_agent": stats.frames_to_agent,
                "frames_to_caller": stats.frames_to_caller,
                "seconds_to_agent": stats.seconds_to_agent,
                "seconds_to_caller": stats.seconds_to_caller,
                "marks": stats.marks,
                "flushes": stats.flushes,
                "dtmf": stats.dtmf,
                "detail": stats.detail,
                "late_frames": stats.late_frames,
                "added_latency_ms": stats.added_latency_ms,
                "max_added_latency_ms": stats.max_added_latency_ms,
            }
        return result

    converter.register_unstructure_hook(PhoneNumber, number_json)
    converter.register_unstructure_hook(Trunk, trunk_json)
    converter.register_unstructure_hook(Execution, execution_json)
    return converter


#: The converter for the guide's JSON.
converter = _converter()


def trunk_json(details: TrunkDetails) -> JSON:
    """The guide's full trunk object, with its phone numbers."""
    result: JSON = converter.unstructure(details.trunk)
    result["phone_numbers"] = converter.unstructure(details.phone_numbers, list[PhoneNumber])
    # Beyond the guide: why telephony is not in step with the trunk, while its sync_state is failed.
    result["sync_error"] = details.sync_error
    # Beyond the guide: each gateway as telephony's health checks (Asterisk's qualify) last reported it.
    for gateway, written in zip(details.trunk.gateways, result["gateways"], strict=True):
        written["health"] = gateway_health_json(details.gateway_status.get(gateway.id, NOT_REPORTED))
    if details.inbound_password is not None and result["inbound_auth"] is not None:
        result["inbound_auth"]["password"] = details.inbound_password.reveal()  # this answer only
    return result


def gateway_health_json(status: GatewayStatus) -> JSON:
    """A gateway's last health report: ``reachability``, ``roundtrip_ms`` and ``since`` (beyond the guide)."""
    return {
        "reachability": status.reachability.value,
        "roundtrip_ms": status.roundtrip_ms,
        "since": _timestamp(status.since),
    }


def destinations_json(destinations: AccountDestinations) -> JSON:
    """An account's outbound destinations (beyond the guide): the policy, flags as booleans, and its refusals."""
    policy = destinations.policy
    return {
        "countries": list(policy.countries),
        "premium_rate": policy.premium_rate is True,
        "shared_cost": policy.shared_cost is True,
        "satellite": policy.satellite is True,
        "refused_calls": destinations.refused_calls,
    }


def trunk_summary_json(summary: TrunkSummary) -> JSON:
    """A trunk in a listing: the trunk object with ``phone_numbers_count``."""
    result: JSON = converter.unstructure(summary.trunk)
    del result["phone_numbers"]
    result["phone_numbers_count"] = summary.phone_numbers_count
    return result


def number_json(number: PhoneNumber) -> JSON:
    """The guide's phone number object."""
    result: JSON = converter.unstructure(number)
    return result


def execution_json(execution: Execution) -> JSON:
    """An execution record."""
    result: JSON = converter.unstructure(execution)
    return result


def decision_json(decision: RoutingDecision) -> JSON:
    """Beyond the guide: what routing decided for a call, and each rule it applied (``GET /inbound/explain``)."""
    if isinstance(decision, Route):
        outcome: JSON = {"routed": True, "agent_id": decision.agent_id, "refused": None, "sip_code": None,
                         "q850_cause": None}  # fmt: skip
    else:
        outcome = {"routed": False, "agent_id": None, "refused": decision.reason.code, "sip_code": decision.sip_code,
                   "q850_cause": decision.q850_cause}  # fmt: skip
    return {
        "to": decision.call.called,
        "source": decision.call.source,
        **outcome,
        "phone_number_id": decision.number_id,
        "trunk_id": decision.trunk_id,
        "checks": [{"rule": c.rule, "passed": c.passed, "detail": c.detail} for c in decision.checks],
    }
