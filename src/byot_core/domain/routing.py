"""Inbound routing: which agent answers a call to a DID, or why the call is refused.

The decision is pure: storage finds the candidates (every live number with the called DID's canonical key, and its
trunk), and :func:`route_inbound` applies the rules in a fixed order, recording each check so that the answer can be
explained. The write path guarantees at most one candidate on an active trunk, so the answer is never ambiguous.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.sip_values import is_ip_literal
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import AuthType, Trunk

__all__ = [
    "InboundCall",
    "RejectReason",
    "Rejection",
    "Route",
    "RouteCandidate",
    "RoutingDecision",
    "RuleCheck",
    "allowed_sources",
    "route_inbound",
]


class RejectReason(enum.Enum):
    """Why an inbound call is refused, with the SIP response and Q.850 cause Asterisk should answer with."""

    UNKNOWN_NUMBER = ("unknown_number", 404, 1)
    NUMBER_INACTIVE = ("number_inactive", 480, 20)
    NUMBER_NOT_MAPPED = ("number_not_mapped", 480, 20)
    TRUNK_INACTIVE = ("trunk_inactive", 403, 21)
    INBOUND_DISABLED = ("inbound_disabled", 403, 21)
    SOURCE_NOT_ALLOWED = ("source_not_allowed", 403, 21)

    def __init__(self, code: str, sip_code: int, q850_cause: int) -> None:
        self.code = code
        self.sip_code = sip_code
        self.q850_cause = q850_cause


@attrs.frozen
class InboundCall:
    """An inbound call as telephony sees it: the called DID, the source address, and where it arrived.

    ``arrived_on_trunk_id`` is the trunk whose endpoint Asterisk matched the call to, when it is known: Asterisk's
    ``identify`` has then already vouched for the source (including gateways given as hostnames).
    """

    called: str
    source: str | None = None
    arrived_on_trunk_id: str | None = None


@attrs.frozen
class RouteCandidate:
    """A live number with the called DID's canonical key, with its trunk and the trunk's allowed sources."""

    number: PhoneNumber
    trunk: Trunk
    sources: SourceMatcher


@attrs.frozen
class RuleCheck:
    """One rule the decision applied, whether it passed, and what it saw."""

    rule: str
    passed: bool
    detail: str


@attrs.frozen
class Route:
    """Hand the call to ``agent_id``."""

    agent_id: str
    account_id: str
    number_id: str
    trunk_id: str
    checks: tuple[RuleCheck, ...]

    def explain(self) -> str:
        """The checks that led here, one per line."""
        return _explain(self.checks)


@attrs.frozen
class Rejection:
    """Refuse the call for ``reason``, answering with its SIP response and Q.850 cause."""

    reason: RejectReason
    checks: tuple[RuleCheck, ...]
    number_id: str | None = None
    trunk_id: str | None = None

    @property
    def sip_code(self) -> int:
        """The SIP response to answer with."""
        return self.reason.sip_code

    @property
    def q850_cause(self) -> int:
        """The Q.850 cause to hang up with."""
        return self.reason.q850_cause

    def explain(self) -> str:
        """The checks that led here, one per line."""
        return _explain(self.checks)


RoutingDecision = Route | Rejection


def _explain(checks: Sequence[RuleCheck]) -> str:
    return "\n".join(f"[{'ok' if c.passed else 'FAIL'}] {c.rule}: {c.detail}" for c in checks)


def allowed_sources(trunk: Trunk) -> SourceMatcher:
    """The addresses an ip-based trunk accepts calls from: its IP identifiers and its gateways given as IPs."""
    gateways = [gateway.address for gateway in trunk.gateways if is_ip_literal(gateway.address)]
    return SourceMatcher.build([*gateways, *(i.ip_address for i in trunk.ip_identifiers)])


def _pick(call: InboundCall, candidates: Sequence[RouteCandidate]) -> RouteCandidate:
    """The candidate on an active trunk if there is one (at most one), else the one the call arrived on."""
    for candidate in candidates:
        if candidate.trunk.routes_calls:
            return candidate
    for candidate in candidates:
        if candidate.trunk.id == call.arrived_on_trunk_id:
            return candidate
    return candidates[0]


def route_inbound(call: InboundCall, candidates: Sequence[RouteCandidate]) -> RoutingDecision:
    """Decide where an inbound call goes.

    The rules, in order: number known, trunk active, inbound enabled, source allowed (ip-based trunks), number
    active, number mapped to an agent. The first that fails names the rejection.
    """
    checks: list[RuleCheck] = []
    if not candidates:
        checks.append(RuleCheck("number registered", False, f"no live number matches {call.called!r}"))
        return Rejection(RejectReason.UNKNOWN_NUMBER, tuple(checks))
    candidate = _pick(call, candidates)
    number, trunk = candidate.number, candidate.trunk
    checks.append(RuleCheck("number registered", True, f"{number.phone_number!r} on trunk {trunk.id}"))

    def reject(reason: RejectReason, rule: str, detail: str) -> Rejection:
        checks.append(RuleCheck(rule, False, detail))
        return Rejection(reason, tuple(checks), number_id=number.id, trunk_id=trunk.id)

    if not trunk.routes_calls:
        return reject(RejectReason.TRUNK_INACTIVE, "trunk active", f"trunk {trunk.id} is inactive")
    checks.append(RuleCheck("trunk active", True, f"trunk {trunk.id} is active"))
    if not trunk.settings.inbound_enabled:
        return reject(RejectReason.INBOUND_DISABLED, "inbound enabled", "inbound_enabled is false on the trunk")
    checks.append(RuleCheck("inbound enabled", True, "inbound_enabled is true"))
    if trunk.auth_type is AuthType.IP_BASED:
        if call.arrived_on_trunk_id is not None and call.arrived_on_trunk_id == trunk.id:
            checks.append(RuleCheck("source allowed", True, "arrived on the trunk's own endpoint"))
        elif candidate.sources.allows(call.source):
            checks.append(RuleCheck("source allowed", True, f"{call.source} is in the trunk's identifiers"))
        else:
            return reject(
                RejectReason.SOURCE_NOT_ALLOWED,
                "source allowed",
                f"{call.source or 'an unknown address'} is not among the trunk's gateways or ip_identifiers",
            )
    if not number.is_active:
        return reject(RejectReason.NUMBER_INACTIVE, "number active", "the number's is_active is false")
    checks.append(RuleCheck("number active", True, "the number is active"))
    if number.agent_id is None:
        return reject(RejectReason.NUMBER_NOT_MAPPED, "mapped to an agent", "no agent is mapped to the number")
    checks.append(RuleCheck("mapped to an agent", True, f"agent {number.agent_id}"))
    return Route(
        agent_id=number.agent_id,
        account_id=number.account_id,
        number_id=number.id,
        trunk_id=trunk.id,
        checks=tuple(checks),
    )
