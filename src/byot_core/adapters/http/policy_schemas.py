"""OpenAPI components beyond the guide: where calls may go (a trunk's and an account's destinations), gateway health."""

from __future__ import annotations

from byot_core.adapters.http.schema_parts import TS_NULL, Json
from byot_core.domain.destinations import MAX_COUNTRIES

__all__ = ["POLICY_SCHEMAS"]

_COUNTRIES: Json = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
    "maxItems": MAX_COUNTRIES,
    "description": "ISO 3166 country codes the calls may reach",
}
_KINDS = {
    "premium_rate": "premium-rate numbers (phonenumbers' PREMIUM_RATE, and +979)",
    "shared_cost": "shared-cost numbers (phonenumbers' SHARED_COST)",
    "satellite": "satellite networks (+870, +881, +88216)",
}


def _flags(nullable: bool, account: str) -> Json:
    kind = ["boolean", "null"] if nullable else "boolean"
    return {
        name: {"type": kind, "description": f"Whether {what} may be called{account}"} for name, what in _KINDS.items()
    }


POLICY_SCHEMAS: Json = {
    "CallbackSecret": {
        "type": "object",
        "required": ["secret"],
        "properties": {"secret": {"type": "string", "description": "HMAC-SHA256 key of the Byot-Signature header"}},
    },
    "GatewayHealth": {
        "type": "object",
        "description": "Beyond the guide: the gateway as telephony's health checks (Asterisk's qualify, every "
        "qualify_frequency seconds) last reported it; in the trunk object, not in listings",
        "properties": {
            "reachability": {"type": "string", "enum": ["reachable", "unreachable", "unknown"]},
            "roundtrip_ms": {"type": ["number", "null"], "description": "The last check's round trip (reachable)"},
            "since": {**TS_NULL, "description": "When the gateway became so (null: not reported yet)"},
        },
    },
    "TrunkDestinations": {
        "type": ["object", "null"],
        "additionalProperties": False,
        "description": "Beyond the guide: where the trunk's calls and transfers may go (toll-fraud guard); empty "
        "countries and null flags take the account's",
        "properties": {
            "countries": {**_COUNTRIES, "description": "ISO 3166 country codes; empty: the account's"},
            **_flags(True, " (null: the account's choice)"),
        },
    },
    "AccountDestinationsWrite": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "countries": {**_COUNTRIES, "description": "ISO 3166 country codes; empty: every country"},
            **_flags(False, " (left out: no)"),
        },
    },
    "AccountDestinations": {
        "type": "object",
        "required": ["countries", "premium_rate", "shared_cost", "satellite", "refused_calls"],
        "properties": {
            "countries": {**_COUNTRIES, "description": "ISO 3166 country codes; empty: every country"},
            **_flags(False, ""),
            "refused_calls": {"type": "integer", "description": "Calls and transfers this policy refused"},
        },
    },
}
