"""The inbound routing rules, in the order a call meets them, each one row of :data:`RULES`.

A rule names itself, the refusal it makes, when it refuses a call and how its check reads to people; adding a rule is
adding a row. :func:`byot_core.domain.routing.route_inbound` applies them; :func:`checks` words what a decision saw,
only when asked for.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

import attrs

from byot_core.domain.causes import Q850
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import AuthType, Trunk

__all__ = ["RULES", "InboundCall", "RejectReason", "RouteCandidate", "Rule", "RuleCheck", "checks", "explain"]


@enum.unique
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


@attrs.frozen
class InboundCall:
    """An inbound call as telephony sees it: the called DID, the source address, and where it arrived.

    ``arrived_on_trunk_id`` is the trunk whose endpoint Asterisk matched the call to, when it is known: Asterisk's
    ``identify`` has then already vouched for the source (including gateways given as hostnames).
    """

    called: str
    source: str | None = None
    arrived_on_trunk_id: str | None = None
    #: Calls in progress on the candidate's trunk, when it has a channel limit and storage counted them.
    in_progress: int | None = None


@attrs.frozen(weakref_slot=False)
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


_Words = Callable[[InboundCall, RouteCandidate], str]


@attrs.frozen
class Rule:
    """One routing rule: its name, the refusal it makes, when it refuses, and how its check reads to people."""

    name: str
    refusal: RejectReason
    refuses: Callable[[InboundCall, RouteCandidate], bool]
    passed: _Words
    refused: _Words


def _arrived_on_its_trunk(call: InboundCall, candidate: RouteCandidate) -> bool:
    return call.arrived_on_trunk_id is not None and call.arrived_on_trunk_id == candidate.trunk.id


def _source_refused(call: InboundCall, candidate: RouteCandidate) -> bool:
    """Only ip-based trunks are identified by source; a call Asterisk matched to the trunk's endpoint is vouched for."""
    return (
        candidate.trunk.auth_type is AuthType.IP_BASED
        and not _arrived_on_its_trunk(call, candidate)
        and not candidate.sources.allows(call.source)
    )


def _source_words(call: InboundCall, candidate: RouteCandidate) -> str:
    if candidate.trunk.auth_type is not AuthType.IP_BASED:
        return "not checked: only ip-based trunks are identified by source address"
    if _arrived_on_its_trunk(call, candidate):
        return "arrived on the trunk's own endpoint"
    if _source_refused(call, candidate):
        return f"{call.source or 'an unknown address'} is not among the trunk's gateways or ip_identifiers"
    return f"{call.source} is in the trunk's identifiers"


def _agent_words(_: InboundCall, candidate: RouteCandidate) -> str:
    if candidate.number.agent_id is not None:
        return f"agent {candidate.number.agent_id}"
    return (
        f"agent {candidate.trunk.default_inbound_agent_id}: the trunk's default_inbound_agent_id (the number has none)"
    )


def _channels_full(call: InboundCall, candidate: RouteCandidate) -> bool:
    channels = candidate.trunk.channels
    return channels is not None and call.in_progress is not None and call.in_progress >= channels


def _channels_words(call: InboundCall, candidate: RouteCandidate) -> str:
    channels = candidate.trunk.channels
    if channels is None:
        return "the trunk has no channel limit"
    return f"{call.in_progress} of the trunk's {channels} channels in use"


#: The rules a call to a known number meets, in the order they are applied: the first that refuses decides.
RULES: tuple[Rule, ...] = (
    Rule(
        "trunk active",
        RejectReason.TRUNK_INACTIVE,
        lambda _, c: not c.trunk.routes_calls,
        lambda _, c: f"trunk {c.trunk.id} is active",
        lambda _, c: f"trunk {c.trunk.id} is inactive",
    ),
    Rule(
        "inbound enabled",
        RejectReason.INBOUND_DISABLED,
        lambda _, c: not c.trunk.settings.inbound_enabled,
        lambda _, c: "inbound_enabled is true",
        lambda _, c: "inbound_enabled is false on the trunk",
    ),
    Rule("source allowed", RejectReason.SOURCE_NOT_ALLOWED, _source_refused, _source_words, _source_words),
    Rule(
        "number active",
        RejectReason.NUMBER_INACTIVE,
        lambda _, c: not c.number.is_active,
        lambda _, c: "the number is active",
        lambda _, c: "the number's is_active is false",
    ),
    Rule(
        "mapped to an agent",
        RejectReason.NUMBER_NOT_MAPPED,
        lambda _, c: c.number.agent_id is None and c.trunk.default_inbound_agent_id is None,
        _agent_words,
        lambda _, c: "no agent is mapped to the number, and the trunk has no default_inbound_agent_id",
    ),
    Rule(
        "channel free",
        RejectReason.CHANNELS_FULL,
        _channels_full,
        _channels_words,
        lambda _, c: f"all {c.trunk.channels} of the trunk's channels are in use",
    ),
)
# Before them all: a live number with the called DID's key.
_NUMBER_REGISTERED = "number registered"
_REFUSED_BY = {rule.refusal: index for index, rule in enumerate(RULES)}


def checks(call: InboundCall, candidate: RouteCandidate | None, refusal: RejectReason | None) -> tuple[RuleCheck, ...]:
    """The checks a decision made, worded for people: every rule up to the one that refused (or all of them)."""
    if candidate is None:
        return (RuleCheck(_NUMBER_REGISTERED, False, f"no live number matches {call.called!r}"),)
    found = RuleCheck(_NUMBER_REGISTERED, True, f"{candidate.number.phone_number!r} on trunk {candidate.trunk.id}")
    last = len(RULES) if refusal is None else _REFUSED_BY[refusal] + 1
    made = [found]
    for rule in RULES[:last]:
        passed = rule.refusal is not refusal
        made.append(RuleCheck(rule.name, passed, (rule.passed if passed else rule.refused)(call, candidate)))
    return tuple(made)


def explain(checks: Sequence[RuleCheck]) -> str:
    """The checks, one per line."""
    return "\n".join(f"[{'ok' if c.passed else 'FAIL'}] {c.rule}: {c.detail}" for c in checks)
