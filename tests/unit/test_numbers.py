"""Phone numbers: canonical keys, strict E.164, national spellings, garbage."""

from __future__ import annotations

import pytest

from byot_core.domain.errors import ValidationFailed
from byot_core.domain.numbers import InvalidPhoneNumber, candidate_keys, canonical_key, validate_phone_number
from byot_core.guide import read_call, read_number


@pytest.mark.parametrize("spelling", ["+919876543210", "919876543210", "+91 98765-43210", "+91 (98765) 43.210"])
def test_spellings_share_one_key(spelling: str) -> None:
    """The guide's spellings of one DID, with or without '+', with separators, have one key."""
    assert canonical_key(spelling) == "919876543210"


def test_national_prefix_after_country_code_is_normalised() -> None:
    """'+44 020 …' and '+44 20 …' are the same London number."""
    assert canonical_key("+44 020 7946 0000") == canonical_key("+442079460000") == "442079460000"


def test_national_spelling_needs_a_region() -> None:
    """A leading 0 is national: refused without a region, converted with one."""
    with pytest.raises(InvalidPhoneNumber, match="default region"):
        canonical_key("09876543210")
    assert canonical_key("09876543210", "IN") == "919876543210"
    assert canonical_key("00919876543210", "GB") == "919876543210"


def test_a_national_number_without_plus_is_told_it_was_read_as_international() -> None:
    """'4155550123' (a US number written nationally) is refused saying digits without '+' start with a country code."""
    with pytest.raises(InvalidPhoneNumber) as refused:
        canonical_key("4155550123")
    assert str(refused.value) == (
        "phone number has the wrong length for its country code (digits without '+' are read as international: "
        "country code first, as in 14155550123)"
    )
    with pytest.raises(InvalidPhoneNumber) as plus:
        canonical_key("+4155550123")
    assert str(plus.value) == "phone number has the wrong length for its country code"


@pytest.mark.parametrize("garbage", ["", "abc", "1-800-FLOWERS", "12", "+", "++919876543210", "+999123456", "9" * 40])
def test_garbage_is_refused(garbage: str) -> None:
    """Letters, too-short numbers, unknown country codes and overlong text are refused."""
    with pytest.raises(InvalidPhoneNumber):
        canonical_key(garbage)


def test_strict_e164() -> None:
    """With the check on, only '+', country code and digits, as written, pass."""
    assert validate_phone_number("+919876543210", e164_check=True) == "919876543210"
    for loose in ("919876543210", "+91 98765 43210", "+0919876543210"):
        with pytest.raises(InvalidPhoneNumber, match=r"strict E\.164"):
            validate_phone_number(loose, e164_check=True)


def test_number_body_keeps_the_text_as_given() -> None:
    """The number is stored exactly as provided, its key alongside."""
    draft = read_number({"phone_number": "919876543210", "name": "Mumbai Support Line"})
    assert (draft.phone_number, draft.canonical_key, draft.name) == (
        "919876543210",
        "919876543210",
        "Mumbai Support Line",
    )
    assert (draft.e164_check_enabled, draft.is_active) == (False, True)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "phone_number is required"),
        ({"phone_number": None}, "phone_number must be a string"),
        ({"phone_number": 919876543210}, "phone_number must be a string"),
        ({"phone_number": "919876543210", "e164_check_enabled": True}, "phone_number: phone number must be in strict"),
        ({"phone_number": "919876543210", "label": "x"}, "Unknown field 'label'"),
        ({"phone_number": "919876543210", "is_active": "yes"}, "is_active must be true or false"),
    ],
)
def test_number_body_refusals(payload: dict[str, object], message: str) -> None:
    """Number bodies get clear messages for missing, mistyped and unknown fields."""
    with pytest.raises(ValidationFailed) as caught:
        read_number(payload)
    assert caught.value.message.startswith(message)


def test_candidate_keys_try_plain_digits_first_and_parse_lazily() -> None:
    """Routing looks up the plain digits first; parsing happens only if the caller asks for more."""
    keys = candidate_keys("+44 020 7946 0000")
    assert next(keys) == "4402079460000"
    assert next(keys) == "442079460000"
    assert list(candidate_keys("+919876543210")) == ["919876543210"]
    assert list(candidate_keys("s")) == []


def call(**fields: object) -> dict[str, object]:
    """A call body with a valid agent and from_number, and the given fields."""
    return {"agent_id": "a", "from_number": "+15550001111", **fields}


@pytest.mark.parametrize(
    ("payload", "path", "message"),
    [
        ({}, "agent_id", "agent_id is required"),
        (call(), "recipient", "recipient is required"),
        (call(recipient="+1555"), "recipient", "recipient must be an object"),
        (call(recipient={}), "recipient.phone_number", "recipient.phone_number is required"),
        (call(recipient={"phone_number": "x"}), "recipient.phone_number", "recipient.phone_number: phone number may"),
        (call(recipient={"phone_number": "+15550002222", "nm": "x"}), "recipient.nm", "Unknown field 'recipient.nm'"),
        ({"agent_id": "a", "recipient": {"phone_number": "+15550002222"}}, "from_number", "from_number is required"),
    ],
)
def test_call_body_refusals(payload: dict[str, object], path: str, message: str) -> None:
    """Call bodies name the nested field at fault."""
    with pytest.raises(ValidationFailed) as caught:
        read_call(payload)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert problem.message.startswith(message)


def test_call_body_reads_numbers_in_any_spelling() -> None:
    """Recipient and from_number keep their text and gain canonical keys."""
    request = read_call({"agent_id": "a", "recipient": {"phone_number": "+91 88000 01234", "name": "Rahul Sharma"},
                          "from_number": "919876543210"})  # fmt: skip
    assert (request.recipient_key, request.from_key, request.recipient_name) == (
        "918800001234",
        "919876543210",
        "Rahul Sharma",
    )


def test_every_key_reads_back_to_itself_across_country_codes() -> None:
    """Every country code, national parts with and without leading zeros: a key is its own key when read again.

    phonenumbers can take a zero after the country code for a national prefix and drop it, one per reading; a key
    that kept changing would make a stored DID and the same DID looked up disagree.
    """
    import phonenumbers

    checked = 0
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        for national in ("", "0", "00", "01", "001", "0001", "10", "0123", "00123"):
            for tail in ("4567", "456789", "45678901"):
                try:
                    key = canonical_key(f"+{code}{national}{tail}")
                except InvalidPhoneNumber:
                    continue
                checked += 1
                assert canonical_key("+" + key) == key, f"+{code}{national}{tail}"
    assert checked > 2000
