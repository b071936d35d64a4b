"""Hangup reasons from causes, and status transitions."""

from __future__ import annotations

import pytest

from byot_core.domain.causes import FALLBACK_REASON, hangup_reason, q850_from_name, sip_to_q850
from byot_core.domain.status import TERMINAL, ExecutionStatus, advance, can_move


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Normal Clearing", "Call ended normally"),
        ("USER_BUSY", "Call recipient was busy"),
        ("NO_ANSWER", "Call unanswered"),
        ("CALL_REJECTED", "Call recipient rejected"),
        ("ORIGINATOR_CANCEL", "Call canceled by originator"),
        ("NORMAL_TEMPORARY_FAILURE", "Temporary network failure"),
        ("UNALLOCATED_NUMBER", "Call recipient number invalid"),
        ("NETWORK_OUT_OF_ORDER", "Network error"),
        ("INVALID_NUMBER_FORMAT", "Invalid phone number format"),
    ],
)
def test_guide_table_by_name(name: str, text: str) -> None:
    """Every row of the guide's hangup-reason table, looked up by its cause name."""
    assert hangup_reason(cause_name=name).text == text


def test_a_refused_media_negotiation_says_so_in_words() -> None:
    """488 (cause 58), what a real Asterisk answers when one side requires SRTP and the other refuses it."""
    by_sip, by_cause = hangup_reason(sip_code=488), hangup_reason(q850_cause=58, sip_code=488)
    assert by_sip == by_cause
    assert (by_sip.cause_name, by_sip.q850_cause) == ("BEARERCAPABILITY_NOTAVAIL", 58)
    assert by_sip.text.startswith("The two sides could not agree on the call's media: one requires encryption")


@pytest.mark.parametrize(
    ("q850", "sip", "text"),
    [
        (16, None, "Call ended normally"),
        (17, None, "Call recipient was busy"),
        (None, 486, "Call recipient was busy"),
        (None, 600, "Call recipient was busy"),
        (19, None, "Call unanswered"),
        (None, 480, "Call unanswered"),
        (21, None, "Call recipient rejected"),
        (None, 603, "Call recipient rejected"),
        (None, 487, "Call canceled by originator"),
        (127, 487, "Call canceled by originator"),
        (41, None, "Temporary network failure"),
        (None, 503, "Temporary network failure"),
        (1, None, "Call recipient number invalid"),
        (None, 404, "Call recipient number invalid"),
        (38, None, "Network error"),
        (None, 500, "Network error"),
        (28, None, "Invalid phone number format"),
        (None, 484, "Invalid phone number format"),
        (0, 486, "Call recipient was busy"),
    ],
)
def test_guide_table_by_number(q850: int | None, sip: int | None, text: str) -> None:
    """Q.850 numbers and SIP responses reach the same reasons as the names."""
    assert hangup_reason(q850_cause=q850, sip_code=sip).text == text


@pytest.mark.parametrize(("q850", "name"), [(47, "RESOURCE_UNAVAILABLE"), (99, None), (None, None)])
def test_explicit_fallback(q850: int | None, name: str | None) -> None:
    """Causes outside the table give the fallback reason, keeping the cause for diagnosis."""
    reason = hangup_reason(q850_cause=q850, cause_name="SOMETHING_ODD" if q850 == 99 else None)
    assert reason.text == FALLBACK_REASON
    assert reason.q850_cause == q850


@pytest.mark.parametrize(
    ("sip", "q850"),
    [(404, 1), (485, 1), (604, 1), (486, 17), (600, 17), (408, 18), (480, 19), (483, 19), (401, 21), (403, 21),
     (407, 21), (603, 21), (484, 28), (500, 38), (502, 27), (503, 34), (599, 34), (409, 41), (504, 102), (487, 127)],
)  # fmt: skip
def test_asterisk_sip_to_q850(sip: int, q850: int) -> None:
    """The SIP → Q.850 map is Asterisk's own."""
    assert sip_to_q850(sip) == q850


def test_cause_names_in_several_spellings() -> None:
    """Asterisk's cause_txt style, constant style and the guide's names all resolve."""
    assert q850_from_name("User busy") == q850_from_name("AST_CAUSE_USER_BUSY") == q850_from_name("USER_BUSY") == 17
    assert q850_from_name("nonsense") is None


def test_status_values_are_the_guides() -> None:
    """The status strings are exactly the guide's ten."""
    assert {s.value for s in ExecutionStatus} == {
        "initiated", "ringing", "in-progress", "call-disconnected", "completed", "busy", "no-answer", "canceled",
        "failed", "balance-low",
    }  # fmt: skip


def test_forward_moves_and_no_way_back() -> None:
    """The lifecycle moves forward; answered calls only complete; nothing leaves a terminal status."""
    s = ExecutionStatus
    assert advance(s.INITIATED, s.RINGING) is s.RINGING
    assert advance(s.RINGING, s.IN_PROGRESS) is s.IN_PROGRESS
    assert advance(s.IN_PROGRESS, s.RINGING) is s.IN_PROGRESS
    assert advance(s.IN_PROGRESS, s.BUSY) is s.IN_PROGRESS
    assert advance(s.IN_PROGRESS, s.CALL_DISCONNECTED) is s.CALL_DISCONNECTED
    assert advance(s.CALL_DISCONNECTED, s.COMPLETED) is s.COMPLETED
    for terminal in TERMINAL:
        assert not any(can_move(terminal, target) for target in s)
