"""Properties of number normalisation and matching."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from byot_core.domain.numbers import InvalidPhoneNumber, candidate_keys, canonical_key
from tests.strategies import canonical_keys, spellings


@given(st.data(), canonical_keys())
def test_every_spelling_has_one_key(data: st.DataObject, key: str) -> None:
    """Every spelling of one DID (with or without '+', any separators) gets the same canonical key."""
    first = data.draw(spellings(key))
    second = data.draw(spellings(key))
    assert canonical_key(first) == canonical_key(second) == key


@given(canonical_keys())
@example("2012345678")
def test_normalising_twice_changes_nothing(key: str) -> None:
    """A canonical key is a fixed point: normalising its E.164 form gives it back."""
    assert canonical_key("+" + key) == key
    assert canonical_key(canonical_key(key)) == key


@given(st.data(), canonical_keys())
def test_routing_finds_the_key_among_its_first_candidates(data: st.DataObject, key: str) -> None:
    """The lookup keys of any spelling include its canonical key, so a stored DID is always found."""
    assert key in list(candidate_keys(data.draw(spellings(key))))


@given(st.text(max_size=40))
def test_arbitrary_text_is_a_key_or_a_clear_refusal(text: str) -> None:
    """Any text either yields digits-only keys or is refused with InvalidPhoneNumber, never another error."""
    try:
        key = canonical_key(text)
    except InvalidPhoneNumber:
        return
    assert key.isdigit()
    assert canonical_key("+" + key) == key


@pytest.mark.parametrize("raw", ["+200000000000", "+20000000000", "+4400000000000", "+1 000 000 0000"])
def test_a_number_of_only_zeros_after_its_country_code_is_refused(raw: str) -> None:
    """No subscriber digits: refused, since its key would lose a zero each time it was read again."""
    with pytest.raises(InvalidPhoneNumber):
        canonical_key(raw)
