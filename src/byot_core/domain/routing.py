"""Inbound routing: which agent answers a call to a DID, or why the call is refused.

The decision is pure: storage finds the candidates (every live number with the called DID's canonical key, and its
trunk), and :func:`route_inbound` applies the rules in a fixed order. The write path guarantees at most one candidate
on an active trunk, so the answer is never ambiguous.

Every decision can explain itself (``decision.checks``, ``decision.explain()``): which rules passed and which one
decided. The explanation is derived from what the decision saw only when asked for, so that routing a call costs
no string formatting.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

from byot_core.domain.causes import Q850
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

    UNKNOWN_NUMBER = ("unknown_number", 404, Q850.UNALLOCATED_NUMBER)
    NUMBER_INACTIVE = ("number_inactive", 480, Q850.SUBSCRIBER_ABSENT)
    NUMBER_NOT_MAPPED = ("number_not_mapped", 480, Q850.SUBSCRIBER_ABSENT)
    TRUNK_INACTIVE = ("trunk_inactive", 403, Q850.CALL_REJECTED)
    INBOUND_DISABLED = ("inbound_disabled", 403, Q850.CALL_REJECTED)
    SOURCE_NOT_ALLOWED = ("source_not_allowed", 403, Q850.CALL_REJECTED)
    CHANNELS_FULL = ("channels_full", 486, Q850.USER_BUSY)

    def __init__(self, code: str, sip_code: int, q850_cause: int) -> None:
        self.code = code
        self.sip_code = sip_code
        self.q850_cause = q850_cause


@attrs.define
class InboundCall:
    """An inbound call as telephony sees it: the called DID, the source address, and where it arrived.

    ``arrived_on_trunk_id`` is the trunk whose endpoint Asterisk matched the call to, when it is known: Asterisk's
    ``identify`` has then already vouched for the source (including gateways given as hostnames).

    Made anew for every call, like the decisions, and so not frozen: a frozen ``attrs`` instance takes three times as
    long to build, and building the call and its decision frozen was about a quarter of an in-memory routing decision.
    """

    called: str
    source: str | None = None
    arrived_on_trunk_id: str | None = None
    #: Calls in progress on the candidate's trunk, when it has a channel limit and storage counted them.
    in_progress: int | None = None


# The refusal a candidate meets before the source check (trunk inactive, inbound disabled), whether its source is
# checked (ip-based trunks), and the refusal after it (number inactive, not mapped to an agent).
_Rules = tuple[RejectReason | None, bool, RejectReason | None]


@attrs.frozen(weakref_slot=False)
class RouteCandidate:
    """A live number with the called DID's canonical key, with its trunk and the trunk's allowed sources."""

    number: PhoneNumber
    trunk: Trunk
    sources: SourceMatcher
    # What the number and its trunk decide whatever the call, worked out when the candidate is built (a storage may
    # keep candidates built, so routing a call then reads neither the number nor its trunk's settings).
    _rules: _Rules = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        number, trunk = self.number, self.trunk
        before = None
        if not trunk.routes_calls:
            before = RejectReason.TRUNK_INACTIVE
        elif not trunk.settings.inbound_enabled:
            before = RejectReason.INBOUND_DISABLED
        after = None
        if not number.is_active:
            after = RejectReason.NUMBER_INACTIVE
        elif number.agent_id is None and trunk.default_inbound_agent_id is None:
            after = RejectReason.NUMBER_NOT_MAPPED
        rules = (before, trunk.auth_type is AuthType.IP_BASED, after)
        # Shared: there are few combinations, and a million stored candidates then hold a few small tuples between them.
        object.__setattr__(self, "_rules", _SHARED_RULES.setdefault(rules, rules))


_SHARED_RULES: dict[_Rules, _Rules] = {}


@attrs.frozen
class RuleCheck:
    """One rule the decision applied, whether it passed, and what it saw."""

    rule: str
    passed: bool
    detail: str


# The rules in the order they are applied; a decision records how far it got.
_RULES = ("number registered", "trunk active", "inbound enabled", "source allowed", "number active",
          "mapped to an agent", "channel free")  # fmt: skip
_FAILED_RULE = {
    RejectReason.UNKNOWN_NUMBER: 0,
    RejectReason.TRUNK_INACTIVE: 1,
    RejectReason.INBOUND_DISABLED: 2,
    RejectReason.SOURCE_NOT_ALLOWED: 3,
    RejectReason.NUMBER_INACTIVE: 4,
    RejectReason.NUMBER_NOT_MAPPED: 5,
    RejectReason.CHANNELS_FULL: 6,
}


def _checks(call: InboundCall, candidate: RouteCandidate | None, failed: int | None) -> tuple[RuleCheck, ...]:
    """The checks a decision made, worded for people: every rule up to the one that failed (or all of them)."""
    if candidate is None:
        return (RuleCheck(_RULES[0], False, f"no live number matches {call.called!r}"),)
    number, trunk = candidate.number, candidate.trunk
    if trunk.auth_type is not AuthType.IP_BASED:
        source = "not checked: only ip-based trunks are identified by source address"
    elif call.arrived_on_trunk_id == trunk.id:
        source = "arrived on the trunk's own endpoint"
    elif failed == 3:
        source = f"{call.source or 'an unknown address'} is not among the trunk's gateways or ip_identifiers"
    else:
        source = f"{call.source} is in the trunk's identifiers"
    passed = [
        f"{number.phone_number!r} on trunk {trunk.id}",
        f"trunk {trunk.id} is active",
        "inbound_enabled is true",
        source,
        "the number is active",
        f"agent {number.agent_id}"
        if number.agent_id is not None
        else f"agent {trunk.default_inbound_agent_id}: the trunk's default_inbound_agent_id (the number has none)",
        "the trunk has no channel limit"
        if trunk.channels is None
        else f"{call.in_progress} of the trunk's {trunk.channels} channels in use",
    ]
    refused = [
        "",
        f"trunk {trunk.id} is inactive",
        "inbound_enabled is false on the trunk",
        source,
        "the number's is_active is false",
        "no agent is mapped to the number, and the trunk has no default_inbound_agent_id",
        f"all {trunk.channels} of the trunk's channels are in use",
    ]
    last = len(_RULES) - 1 if failed is None else failed
    return tuple(RuleCheck(_RULES[i], i != failed, passed[i] if i != failed else refused[i]) for i in range(last + 1))


@attrs.define
class Route:
    """Hand the call to ``agent_id``: the agent mapped to the candidate number, else its trunk's default agent.

    Made for every call, so not frozen (see :class:`InboundCall`); nothing else holds it.
    """

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
        return _checks(self.call, self.candidate, None)

    def explain(self) -> str:
        """The checks that led here, one per line."""
        return _explain(self.checks)


@attrs.define
class Rejection:
    """Refuse the call for ``reason``, answering with its SIP response and Q.850 cause.

    Made for every call, so not frozen (see :class:`InboundCall`); nothing else holds it.
    """

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
        return _checks(self.call, self.candidate, _FAILED_RULE[self.reason])

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
    active, number mapped to an agent (its own, else the trunk's ``default_inbound_agent_id``), a channel free (when
    the trunk has a limit and ``call.in_progress`` says how many calls it carries). The first that fails names the
    rejection.
    """
    if not candidates:
        return Rejection(RejectReason.UNKNOWN_NUMBER, call)
    # Most DIDs have one candidate: no choice to make (this runs on every call).
    candidate = candidates[0] if len(candidates) == 1 else _pick(call, candidates)
    before, check_source, after = candidate._rules
    if before is not None:
        return Rejection(before, call, candidate)
    if (
        check_source
        and not (call.arrived_on_trunk_id is not None and call.arrived_on_trunk_id == candidate.trunk.id)
        and not candidate.sources.allows(call.source)
    ):
        return Rejection(RejectReason.SOURCE_NOT_ALLOWED, call, candidate)
    if after is not None:
        return Rejection(after, call, candidate)
    channels = candidate.trunk.channels
    if channels is not None and call.in_progress is not None and call.in_progress >= channels:
        return Rejection(RejectReason.CHANNELS_FULL, call, candidate)
    return Route(call, candidate)
