"""Call-ending causes: SIP responses, Q.850 causes and their names, and the guide's hangup reasons.

``sip_to_q850`` is Asterisk's own map (``hangup_sip2cause``), so a cause computed here agrees with the one Asterisk
reports; when a carrier sends a ``Reason: Q.850`` header, its cause wins and should be passed in as such.
"""

from __future__ import annotations

import enum

import attrs

__all__ = [
    "FALLBACK_REASON",
    "Q850",
    "Q850_NAMES",
    "REFUSE_FOR_NOW",
    "HangupReason",
    "hangup_reason",
    "q850_from_name",
    "sip_to_q850",
]


class Q850(enum.IntEnum):
    """Q.850 causes by the names carriers and switches use for them (the guide's table uses these names).

    Members are ``int``s: stored and reported causes outside this list stay plain numbers.
    """

    UNSPECIFIED = 0
    UNALLOCATED_NUMBER = 1
    NO_ROUTE_TRANSIT_NET = 2
    NO_ROUTE_DESTINATION = 3
    NORMAL_CLEARING = 16
    USER_BUSY = 17
    NO_USER_RESPONSE = 18
    NO_ANSWER = 19
    SUBSCRIBER_ABSENT = 20
    CALL_REJECTED = 21
    NUMBER_CHANGED = 22
    DESTINATION_OUT_OF_ORDER = 27
    INVALID_NUMBER_FORMAT = 28
    FACILITY_REJECTED = 29
    NORMAL_UNSPECIFIED = 31
    NORMAL_CIRCUIT_CONGESTION = 34
    NETWORK_OUT_OF_ORDER = 38
    NORMAL_TEMPORARY_FAILURE = 41
    SWITCH_CONGESTION = 42
    RESOURCE_UNAVAILABLE = 47
    BEARERCAPABILITY_NOTAVAIL = 58
    INCOMPATIBLE_DESTINATION = 88
    RECOVERY_ON_TIMER_EXPIRE = 102
    INTERWORKING = 127


#: The cause an unanswered inbound call is refused with when the carrier may try again elsewhere. Asterisk's PJSIP
#: answers it as 503 Service Unavailable. Cause 41 (temporary failure) means the same in Q.850, but chan_pjsip has no
#: SIP code for it and answers 603 Decline, which tells the carrier not to try again (as a real Asterisk 22 did).
REFUSE_FOR_NOW = Q850.NORMAL_CIRCUIT_CONGESTION

#: Q.850 cause numbers and their names.
Q850_NAMES: dict[int, str] = {cause.value: cause.name for cause in Q850}
_NAME_TO_Q850 = {name: number for number, name in Q850_NAMES.items()}

# Asterisk's hangup_sip2cause (res_pjsip_session / chan_pjsip): SIP final response → Q.850 cause.
_SIP_TO_Q850 = {
    401: Q850.CALL_REJECTED, 403: Q850.CALL_REJECTED, 404: Q850.UNALLOCATED_NUMBER, 407: Q850.CALL_REJECTED,
    408: Q850.NO_USER_RESPONSE, 409: Q850.NORMAL_TEMPORARY_FAILURE, 480: Q850.NO_ANSWER, 483: Q850.NO_ANSWER,
    484: Q850.INVALID_NUMBER_FORMAT, 485: Q850.UNALLOCATED_NUMBER, 486: Q850.USER_BUSY, 487: Q850.INTERWORKING,
    488: Q850.BEARERCAPABILITY_NOTAVAIL,
    500: Q850.NETWORK_OUT_OF_ORDER, 502: Q850.DESTINATION_OUT_OF_ORDER, 503: Q850.NORMAL_CIRCUIT_CONGESTION,
    504: Q850.RECOVERY_ON_TIMER_EXPIRE, 600: Q850.USER_BUSY, 603: Q850.CALL_REJECTED, 604: Q850.UNALLOCATED_NUMBER,
}  # fmt: skip

#: The reason recorded when no rule of the guide's table applies.
FALLBACK_REASON = "Call failed"


@attrs.frozen
class HangupReason:
    """Why a call ended: the guide's sentence, and the cause it came from."""

    text: str
    cause_name: str | None = None
    q850_cause: int | None = None
    sip_code: int | None = None


# The guide's "Hangup Reasons" table, keyed by cause name.
_REASONS = {
    "NORMAL_CLEARING": "Call ended normally",
    "USER_BUSY": "Call recipient was busy",
    "NO_ANSWER": "Call unanswered",
    "CALL_REJECTED": "Call recipient rejected",
    "ORIGINATOR_CANCEL": "Call canceled by originator",
    "NORMAL_TEMPORARY_FAILURE": "Temporary network failure",
    "UNALLOCATED_NUMBER": "Call recipient number invalid",
    "NETWORK_OUT_OF_ORDER": "Network error",
    "INVALID_NUMBER_FORMAT": "Invalid phone number format",
    # Beyond the guide's table: a 488 (Asterisk gives it cause 58). Most often one side requires SRTP and the other
    # refuses it (recorded from Asterisk 22); a missing common codec looks the same.
    "BEARERCAPABILITY_NOTAVAIL": (
        "The two sides could not agree on the call's media: one requires encryption (SRTP) the other does not "
        "offer, or they share no codec"
    ),
}
# Causes that mean the same to a caller as one of the table's names.
_ALIASES = {
    "NO_USER_RESPONSE": "NO_ANSWER",
    "SUBSCRIBER_ABSENT": "NO_ANSWER",
    "NO_ROUTE_DESTINATION": "UNALLOCATED_NUMBER",
    "NUMBER_CHANGED": "UNALLOCATED_NUMBER",
    "DESTINATION_OUT_OF_ORDER": "NETWORK_OUT_OF_ORDER",
    "NORMAL_CIRCUIT_CONGESTION": "NORMAL_TEMPORARY_FAILURE",
    "SWITCH_CONGESTION": "NORMAL_TEMPORARY_FAILURE",
    "RECOVERY_ON_TIMER_EXPIRE": "NORMAL_TEMPORARY_FAILURE",
}


def sip_to_q850(sip_code: int) -> int:
    """The Q.850 cause Asterisk gives a SIP final response (other 5xx → 34, other 4xx/6xx → 21 as Asterisk)."""
    if sip_code in _SIP_TO_Q850:
        return _SIP_TO_Q850[sip_code]
    if 500 <= sip_code < 600:
        return Q850.NORMAL_CIRCUIT_CONGESTION
    if 400 <= sip_code < 700:
        return Q850.CALL_REJECTED
    return Q850.NORMAL_CLEARING


def q850_from_name(name: str) -> int | None:
    """The Q.850 number of a cause name (``USER_BUSY``, ``user busy`` and ``AST_CAUSE_USER_BUSY`` alike)."""
    key = name.strip().upper().replace(" ", "_").removeprefix("AST_CAUSE_")
    return _NAME_TO_Q850.get(key)


def hangup_reason(
    *, q850_cause: int | None = None, sip_code: int | None = None, cause_name: str | None = None
) -> HangupReason:
    """The guide's hangup reason for a cause given as a Q.850 number, a SIP response, or a name.

    A SIP 487 is ``ORIGINATOR_CANCEL``; a name is used as given when no number is known; the SIP response decides
    when there is no Q.850 cause (or only 0, "unknown"). Causes outside the table give :data:`FALLBACK_REASON`.
    """
    name: str | None = None
    if sip_code == 487:
        name = "ORIGINATOR_CANCEL"
    elif q850_cause is not None and q850_cause != 0:
        name = Q850_NAMES.get(q850_cause)
    elif sip_code is not None:
        q850_cause = sip_to_q850(sip_code)
        name = Q850_NAMES.get(q850_cause)
    if name is None and cause_name is not None:
        name = cause_name.strip().upper().replace(" ", "_").removeprefix("AST_CAUSE_")
        q850_cause = q850_cause or _NAME_TO_Q850.get(name)
    text = _REASONS.get(_ALIASES.get(name, name) if name else "", FALLBACK_REASON)
    return HangupReason(text=text, cause_name=name, q850_cause=q850_cause, sip_code=sip_code)
