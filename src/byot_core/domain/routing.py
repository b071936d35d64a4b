"""Inbound routing: which agent answers a call to a DID, or why the call is refused.

The decision is pure: storage finds the candidates (every live number with the called DID's canonical key, and its
trunk), and :func:`route_inbound` applies :data:`~byot_core.domain.routing_rules.RULES` in their order. The write
path guarantees at most one candidate on an active trunk, so the answer is never ambiguous.

Every decision can explain itself (``decision.checks``, ``decision.explain()``): which rules passed and which one
decided. The explanation is derived from what the decision saw only when asked for, so that routing a call costs
no string formatting.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from byot_core.domain.routing_rules import (
    RULES,
    InboundCall,
    RejectReason,
    RouteCandidate,
    RuleCheck,
    checks,
    explain,
)
from byot_core.domain.sip_values import is_ip_literal
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import Trunk

__all__ = [
    "RULES",
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


@attrs.frozen
class Route:
    """Hand the call to ``agent_id``: the agent mapped to the candidate number, else its trunk's default agent."""

    call: InboundCall
    candidate: RouteCandidate = attrs.field(repr=False)

    @property
    def agent_id(self) -> str:
        """The agent that answers."""
        agent_id = self.candidate.number.agent_id or self.candidate.trunk.default_inbound_agent_id
        assert agent_id is not None  # a route is only made when one of them names an agent
        return agent_id

    @property
    def by_trunk_default(self) -> bool:
        """Whether the trunk's ``default_inbound_agent_id`` chose the agent (the number has none of its own)."""
        return self.candidate.number.agent_id is None

    @property
    def account_id(self) -> str:
        """The account the number belongs to."""
        return self.candidate.number.account_id

    @property
    def number_id(self) -> str:
        """The number called."""
        return self.candidate.number.id

    @property
    def trunk_id(self) -> str:
        """The number's trunk."""
        return self.candidate.trunk.id

    @property
    def checks(self) -> tuple[RuleCheck, ...]:
        """The rules applied, all passed."""
        return checks(self.call, self.candidate, None)

    def explain(self) -> str:
        """The checks that led here, one per line."""
        return explain(self.checks)


@attrs.frozen
class Rejection:
    """Refuse the call for ``reason``, answering with its SIP response and Q.850 cause."""

    reason: RejectReason
    call: InboundCall = attrs.field(repr=False)
    candidate: RouteCandidate | None = attrs.field(default=None, repr=False)

    @property
    def number_id(self) -> str | None:
        """The number the call was for, if one was found."""
        return self.candidate.number.id if self.candidate else None

    @property
    def trunk_id(self) -> str | None:
        """The trunk of that number, if one was found."""
        return self.candidate.trunk.id if self.candidate else None

    @property
    def sip_code(self) -> int:
        """The SIP response to answer with."""
        return self.reason.sip_code

    @property
    def q850_cause(self) -> int:
        """The Q.850 cause to hang up with."""
        return self.reason.q850_cause

    @property
    def checks(self) -> tuple[RuleCheck, ...]:
        """The rules applied, the last one failed."""
        return checks(self.call, self.candidate, self.reason)

    def explain(self) -> str:
        """The checks that led here, one per line."""
        return explain(self.checks)


RoutingDecision = Route | Rejection


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

    A call to no live number is refused as unknown; else the candidate is picked (the one on an active trunk, of
    which there is at most one) and :data:`RULES` are applied in order: trunk active, inbound enabled, source allowed
    (ip-based trunks), number active, number mapped to an agent (its own, else the trunk's
    ``default_inbound_agent_id``), a channel free (when the trunk has a limit and ``call.in_progress`` says how many
    calls it carries). The first that refuses names the rejection.
    """
    if not candidates:
        return Rejection(RejectReason.UNKNOWN_NUMBER, call)
    # Most DIDs have one candidate: no choice to make (this runs on every call).
    candidate = candidates[0] if len(candidates) == 1 else _pick(call, candidates)
    for rule in RULES:
        if rule.refuses(call, candidate):
            return Rejection(rule.refusal, call, candidate)
    return Route(call, candidate)
