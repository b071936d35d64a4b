"""Secrets never show in reprs, strings or error messages."""

from __future__ import annotations

import pytest

from byot_core.adapters.memory import MemorySecretBox
from byot_core.domain.errors import ByotError, ValidationFailed
from byot_core.domain.secret import SealedSecret, Secret
from byot_core.guide import read_trunk_create
from tests.support import USERPASS_TRUNK, body

PASSWORD = "SuperSecurePassword123"


def test_secret_hides_its_value() -> None:
    """Repr and str of a secret and of its sealed form never contain the value."""
    secret = Secret(PASSWORD)
    sealed = MemorySecretBox().seal(secret)
    for text in (repr(secret), str(secret), repr(sealed), str(sealed), repr(read_trunk_create(USERPASS_TRUNK))):
        assert PASSWORD not in text
    assert sealed.token not in repr(sealed)


def test_refused_password_is_not_echoed() -> None:
    """A password refused for config safety is not repeated in the problem's message."""
    with pytest.raises(ValidationFailed) as caught:
        read_trunk_create(body(USERPASS_TRUNK, auth_password="sec;ret"))
    assert "sec;ret" not in str(caught.value.problems)


def test_box_round_trip_and_foreign_token() -> None:
    """A box opens what it sealed and refuses anything else with a clear error."""
    box = MemorySecretBox()
    assert box.open(box.seal(Secret(PASSWORD))).reveal() == PASSWORD
    with pytest.raises(ByotError, match="cannot be opened"):
        box.open(SealedSecret("mem:unknown"))
