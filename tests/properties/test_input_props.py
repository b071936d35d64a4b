"""Properties of input validation: accepted input is safe to hand to Asterisk; anything else is a clear refusal."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.errors import ValidationFailed
from byot_core.domain.trunk_input import parse_trunk_create
from tests.strategies import trunk_bodies
from tests.support import USERPASS_TRUNK, body

SPECIAL = set(";[]\n\r\x00")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@given(trunk_bodies())
def test_generated_valid_bodies_are_accepted(payload: dict[str, Any]) -> None:
    """Every body built from the documented fields and ranges parses."""
    parse_trunk_create(payload)


@given(st.text(max_size=30), st.text(max_size=30))
def test_accepted_credentials_are_config_safe(username: str, password: str) -> None:
    """Credentials the write path accepts never carry characters that change Asterisk configuration."""
    try:
        draft = parse_trunk_create(body(USERPASS_TRUNK, auth_username=username, auth_password=password))
    except ValidationFailed:
        return
    assert draft.auth_username is not None
    assert draft.auth_password is not None
    for value in (draft.auth_username, draft.auth_password.reveal()):
        assert not SPECIAL & set(value)
        assert value == value.strip()
        assert "," not in value


@given(st.dictionaries(st.sampled_from([*sorted(USERPASS_TRUNK), "x", "gateways"]), json_values, max_size=8))
def test_arbitrary_json_is_accepted_or_clearly_refused(payload: dict[str, Any]) -> None:
    """Arbitrary JSON values in any field never raise anything but ValidationFailed."""
    try:
        parse_trunk_create(body(USERPASS_TRUNK, **{k: v for k, v in payload.items() if v is not None}))
    except ValidationFailed as error:
        problems = error.problems
    else:
        return
    assert problems
    assert all(p.message for p in problems)
