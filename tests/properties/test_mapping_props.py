"""Round trips of the wire and storage mappings: SQL rows back to the same values, the guide's JSON to its schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from byot_core.adapters.guide_json import execution_json, number_json, trunk_json
from byot_core.adapters.http.openapi import openapi_document
from byot_core.adapters.sql import rows
from byot_core.domain.causes import hangup_reason
from byot_core.domain.execution import Attempt, AttemptResult, Direction, Execution
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.secret import SealedSecret
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.trunk import SyncState
from byot_core.domain.trunk_rules import build_trunk
from byot_core.guide import read_trunk_create
from byot_core.services.views import TrunkDetails
from tests.strategies import trunk_bodies

T0 = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
moments = st.integers(0, 10**9).map(lambda s: T0 + timedelta(seconds=s, microseconds=s % 1000))
ids = iter(range(10**9))


def new_id() -> str:
    return f"id{next(ids)}"


@st.composite
def trunks(draw: st.DrawFn) -> Any:
    draft = read_trunk_create(draw(trunk_bodies()))
    sealed = SealedSecret(draw(texts)) if draft.auth_password is not None else None
    trunk = build_trunk(draft, trunk_id=new_id(), account_id="acc", new_id=new_id, now=draw(moments),
                        sealed_password=sealed)  # fmt: skip
    return attrs.evolve(trunk, is_active=draw(st.booleans()), sync_state=draw(st.sampled_from(SyncState)))


numbers = st.builds(
    PhoneNumber, id=st.just("n1"), account_id=st.just("acc"), trunk_id=st.just("t1"), phone_number=texts,
    canonical_key=st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True), created_at=moments, updated_at=moments,
    name=st.none() | texts, e164_check_enabled=st.booleans(), is_active=st.booleans(), agent_id=st.none() | texts,
    deleted=st.booleans(),
)  # fmt: skip
attempts = st.builds(
    Attempt, channel_id=texts, started_at=moments, gateway_id=st.none() | texts, dialled=st.none() | texts,
    reached_ringing=st.booleans(), answered=st.booleans(), ended_at=st.none() | moments,
    result=st.sampled_from(AttemptResult), sip_code=st.none() | st.integers(100, 699),
    q850_cause=st.none() | st.integers(0, 127), sip_call_id=st.none() | texts,
    codec=st.none() | st.sampled_from(["ulaw", "alaw", "opus"]),
)  # fmt: skip
executions = st.builds(
    Execution, id=st.just("e1"), account_id=st.just("acc"), agent_id=texts, direction=st.sampled_from(Direction),
    status=st.sampled_from(ExecutionStatus), from_number=texts, to_number=texts, created_at=moments,
    updated_at=moments, trunk_id=st.none() | texts, phone_number_id=st.none() | texts,
    recipient_name=st.none() | texts, gateway_plan=st.lists(texts, max_size=3).map(tuple),
    attempts=st.lists(attempts, max_size=3).map(tuple),
    hangup_reason=st.none() | st.builds(hangup_reason, q850_cause=st.none() | st.integers(0, 127),
                                        sip_code=st.none() | st.integers(400, 699)),
    answered_at=st.none() | moments, ended_at=st.none() | moments,
)  # fmt: skip


@given(trunks())
def test_a_trunk_comes_back_from_its_rows_unchanged(trunk: Any) -> None:
    """Trunk, gateway and identifier rows read back into the very trunk that was written."""
    row = rows.trunk_values(trunk) | {"revision": trunk.revision}
    gateways = [rows.gateway_from_row(rows.gateway_values(trunk.id, i, g)) for i, g in enumerate(trunk.gateways)]
    identifiers = [
        rows.identifier_from_row(rows.identifier_values(trunk.id, i, x)) for i, x in enumerate(trunk.ip_identifiers)
    ]
    assert rows.trunk_from_row(row, gateways, identifiers) == trunk


@given(numbers, st.booleans())
def test_a_number_comes_back_from_its_row_unchanged(number: PhoneNumber, holds_did: bool) -> None:
    """A phone number row reads back into the same number."""
    assert rows.number_from_row(rows.number_values(number, holds_did)) == number


@given(executions)
def test_an_execution_comes_back_from_its_row_unchanged(execution: Execution) -> None:
    """Attempts and the hangup reason, stored as JSON, read back exactly (timestamps included)."""
    assert rows.execution_from_row(rows.execution_values(execution)) == execution


def required_and_known(schema_name: str) -> tuple[set[str], set[str]]:
    schema = openapi_document()["components"]["schemas"][schema_name]
    return set(schema.get("required", ())), set(schema["properties"])


@given(trunks(), st.lists(numbers, max_size=2))
def test_the_guides_trunk_json_has_the_documented_fields_and_the_trunks_values(trunk: Any, held: Any) -> None:
    """Every required field, no undocumented one, no secret; the values are the trunk's, settings written flat."""
    body = trunk_json(TrunkDetails(trunk, tuple(held)))
    required, known = required_and_known("Trunk")
    assert required <= set(body) <= known
    assert "auth_password" not in body
    assert (body["user_id"], body["name"], body["is_active"]) == (trunk.account_id, trunk.name, trunk.is_active)
    assert [(g["gateway_address"], g["port"], g["priority"]) for g in body["gateways"]] == [
        (g.address, g.port, g.priority) for g in trunk.gateways
    ]
    assert {k: body[k] for k in attrs.asdict(trunk.settings)} == attrs.asdict(trunk.settings)
    assert body["created_at"].endswith("Z")
    number_required, number_known = required_and_known("PhoneNumber")
    for number in body["phone_numbers"]:
        assert number_required <= set(number) <= number_known


@given(numbers)
def test_the_guides_number_json_renames_and_omits_as_documented(number: PhoneNumber) -> None:
    """``user_id``, ``byot_trunk_id``, ``telephony_provider``; the canonical key is not written."""
    body = number_json(number)
    required, known = required_and_known("PhoneNumber")
    assert required <= set(body) <= known
    assert (body["user_id"], body["byot_trunk_id"], body["telephony_provider"]) == ("acc", "t1", "sip-trunk")


@given(executions)
def test_the_execution_json_has_the_documented_fields(execution: Execution) -> None:
    """The execution record: documented fields only, the hangup reason as text with its cause beside it."""
    body = execution_json(execution)
    required, known = required_and_known("Execution")
    assert required <= set(body) <= known
    reason = execution.hangup_reason
    assert body["hangup_reason"] == (reason.text if reason else None)
    assert body["hangup_cause"] == (
        None if reason is None else {"name": reason.cause_name, "q850": reason.q850_cause, "sip": reason.sip_code}
    )
    assert [set(a) for a in body["attempts"]] == [
        {"channel_id", "gateway_id", "dialled", "result", "sip_code", "q850_cause", "started_at", "ended_at",
         "sip_call_id", "codec"}
    ] * len(execution.attempts)  # fmt: skip
    attempt_required, attempt_known = required_and_known("Attempt")
    assert all(attempt_required <= set(a) <= attempt_known for a in body["attempts"])
    leg = execution.leg
    assert (body["sip_call_id"], body["codec"]) == ((leg.sip_call_id, leg.codec) if leg else (None, None))
    duration = body["duration_seconds"]
    if execution.ended_at is None:
        assert duration is None, "a call still going on has a duration"
    elif execution.answered_at is None:
        assert duration == 0
    else:
        assert duration == round(max((execution.ended_at - execution.answered_at).total_seconds(), 0.0), 3) >= 0
