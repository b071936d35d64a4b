"""The outbound dial plan: which gateway to try, in what order, what to dial, and when to move on.

Asterisk does not fail over between gateways inside one dial, so the library does: it tries the trunk's endpoints one
by one in ascending ``priority``. It moves to the next gateway only on a route failure (no response, a 5xx, an
unreachable gateway), never after a final answer (busy, declined, unanswered, invalid number) and never once the
callee's phone has rung: a callee is never dialled twice.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import attrs

from byot_core.domain.causes import Q850, HangupReason, hangup_reason
from byot_core.domain.events import CallEnded
from byot_core.domain.execution import Attempt, AttemptResult
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.trunk import Gateway

__all__ = [
    "ROUTE_FAILURE_CAUSES",
    "AttemptEnd",
    "EndKind",
    "classify_end",
    "dialled_number",
    "next_gateway",
    "order_gateways",
    "prefer_reachable",
]

#: Q.850 causes that say the route failed, not the callee: congestion, network or destination out of order,
#: temporary failure, no route, no circuit, timer expiry.
ROUTE_FAILURE_CAUSES = frozenset(
    {
        Q850.NO_ROUTE_TRANSIT_NET, Q850.NO_ROUTE_DESTINATION, Q850.DESTINATION_OUT_OF_ORDER,
        Q850.NORMAL_CIRCUIT_CONGESTION, Q850.NETWORK_OUT_OF_ORDER, Q850.NORMAL_TEMPORARY_FAILURE,
        Q850.SWITCH_CONGESTION, Q850.RESOURCE_UNAVAILABLE, Q850.RECOVERY_ON_TIMER_EXPIRE,
    }
)  # fmt: skip
_NO_ANSWER_CAUSES = frozenset({Q850.NO_USER_RESPONSE, Q850.NO_ANSWER, Q850.SUBSCRIBER_ABSENT})
# What Asterisk reports for a normal end of an answered call (a BYE without a Reason header is 0, "unknown").
_NORMAL_END = (None, Q850.UNSPECIFIED, Q850.NORMAL_CLEARING, Q850.NORMAL_UNSPECIFIED)


def order_gateways(gateways: Sequence[Gateway], draws: Sequence[float] | None = None) -> tuple[Gateway, ...]:
    """Gateways in the order to try them: ascending priority; equal priorities by weight.

    Without ``draws`` the order among equal priorities is heavier weight first, then as declared. With ``draws``
    (one uniform number in (0, 1] per gateway, from the caller's random source) equal priorities are shuffled in
    proportion to their weights (Efraimidis-Spirakis keys ``u ** (1 / weight)``).
    """
    if draws is None:
        keyed = [(g.priority, -g.weight, index) for index, g in enumerate(gateways)]
    else:
        if len(draws) != len(gateways):
            raise ValueError("one draw per gateway is needed")
        keyed = [
            (g.priority, -(max(draw, 1e-12) ** (1.0 / g.weight)), index)
            for index, (g, draw) in enumerate(zip(gateways, draws, strict=True))
        ]
    return tuple(gateways[index] for *_, index in sorted(keyed))


def prefer_reachable(plan: Sequence[Gateway], reachable: Sequence[bool]) -> tuple[Gateway, ...]:
    """The plan with gateways known to be unreachable moved to the end, keeping the order within each group.

    They are kept rather than dropped: health reports lag, and a call with only unreachable gateways is still tried.
    """
    if len(reachable) != len(plan):
        raise ValueError("one reachability flag per gateway is needed")
    up = [g for g, ok in zip(plan, reachable, strict=True) if ok]
    down = [g for g, ok in zip(plan, reachable, strict=True) if not ok]
    return (*up, *down)


def dialled_number(recipient_key: str, leading_plus: bool) -> str:
    """The number to put in the Request-URI: the recipient's E.164 digits, with ``+`` when the trunk wants it."""
    return f"+{recipient_key}" if leading_plus else recipient_key


class EndKind(enum.Enum):
    """What the end of one attempt means for the call."""

    ANSWERED = "answered"
    ROUTE_FAILURE = "route-failure"
    FINAL = "final"


@attrs.frozen
class AttemptEnd:
    """How an attempt ended: its kind, the execution status it leads to if it is the last, and the reason."""

    kind: EndKind
    status: ExecutionStatus
    reason: HangupReason

    @property
    def attempt_result(self) -> AttemptResult:
        """The attempt's own result."""
        return {
            EndKind.ANSWERED: AttemptResult.ANSWERED,
            EndKind.ROUTE_FAILURE: AttemptResult.ROUTE_FAILURE,
            EndKind.FINAL: AttemptResult.FINAL,
        }[self.kind]


def classify_end(
    *,
    answered: bool,
    reached_ringing: bool,
    q850_cause: int | None,
    sip_code: int | None,
    cause_name: str | None = None,
) -> AttemptEnd:
    """Classify the end of an attempt from what telephony reported.

    An answered call is completed whatever the cause (Asterisk reports 0 as often as 16 for a normal BYE). An
    attempt that never rang and ended with a route-failure cause, a 5xx, a 408 (the gateway did not respond) or no
    cause at all is a route failure. Everything else is the callee's final answer.
    """
    if answered:
        normal = q850_cause in _NORMAL_END and sip_code is None
        reason = (
            hangup_reason(q850_cause=Q850.NORMAL_CLEARING)
            if normal
            else hangup_reason(q850_cause=q850_cause, sip_code=sip_code)
        )
        return AttemptEnd(EndKind.ANSWERED, ExecutionStatus.COMPLETED, reason)
    reason = hangup_reason(q850_cause=q850_cause, sip_code=sip_code, cause_name=cause_name)
    cause = reason.q850_cause
    no_cause = cause in (None, Q850.UNSPECIFIED) and sip_code is None
    route_failure = not reached_ringing and (
        no_cause
        or cause in ROUTE_FAILURE_CAUSES
        or (sip_code is not None and (500 <= sip_code < 600 or sip_code == 408))
    )
    if route_failure:
        return AttemptEnd(EndKind.ROUTE_FAILURE, ExecutionStatus.FAILED, reason)
    if reason.cause_name == "ORIGINATOR_CANCEL" or cause == Q850.INTERWORKING:
        status = ExecutionStatus.CANCELED
    elif cause == Q850.USER_BUSY:
        status = ExecutionStatus.BUSY
    elif cause in _NO_ANSWER_CAUSES:
        status = ExecutionStatus.NO_ANSWER
    else:
        status = ExecutionStatus.FAILED
    return AttemptEnd(EndKind.FINAL, status, reason)


def end_attempt(attempt: Attempt, event: CallEnded, now: datetime) -> tuple[AttemptEnd, Attempt]:
    """How an attempt ended (:func:`classify_end` of what telephony reported), and the attempt so ended."""
    end = classify_end(
        answered=attempt.answered,
        reached_ringing=attempt.reached_ringing,
        q850_cause=event.q850_cause,
        sip_code=event.sip_code,
        cause_name=event.cause_text,
    )
    ended = attrs.evolve(
        attempt, ended_at=now, result=end.attempt_result, sip_code=event.sip_code, q850_cause=event.q850_cause
    )
    return end, ended


def next_gateway(plan: Sequence[Gateway], attempts: Sequence[Attempt]) -> Gateway | None:
    """The gateway to try after these attempts, or ``None`` when the call must stop.

    Only a route failure of the last attempt moves on, to the first planned gateway not yet tried.
    """
    if attempts:
        last = attempts[-1]
        if last.result is not AttemptResult.ROUTE_FAILURE or last.reached_ringing or last.answered:
            return None
    tried = {attempt.gateway_id for attempt in attempts}
    for gateway in plan:
        if gateway.id not in tried:
            return gateway
    return None
