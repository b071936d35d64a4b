"""Phone number normalisation: one canonical key per DID, whatever its spelling.

A number is stored exactly as given and matched through its canonical key, the E.164 digits without ``+`` as
phonenumbers formats them: ``+919876543210``, ``919876543210`` and ``+91 98765-43210`` share the key
``919876543210``. Digits without ``+`` are read as international; national spellings (a leading ``0``, or an
international call prefix such as ``00``) are accepted only with a default region, and converted.

The canonical form is a fixed point: the key of ``"+" + key`` is ``key``. Inbound routing relies on that to try the
plain digits of a called number first (a dictionary hit needs no parsing) and to parse only on a miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

__all__ = [
    "InvalidPhoneNumber",
    "candidate_keys",
    "canonical_key",
    "e164",
    "is_strict_e164",
    "plain_key",
    "validate_phone_number",
]

# Separators people write inside numbers; anything else (letters included: phonenumbers would turn vanity letters
# into digits) makes the input garbage.
_SEPARATORS = re.compile(r"[ \-.()/]")
_SPELLING = re.compile(r"\+?[0-9]+")
_STRICT_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_MAX_LENGTH = 32


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number this library accepts; the message says why."""


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw)


def canonical_key(raw: str, default_region: str | None = None) -> str:
    """Return the canonical key (E.164 digits, no ``+``) of a phone number in any accepted spelling.

    Raises :class:`InvalidPhoneNumber` for garbage, impossible numbers, and national spellings without a region.
    """
    if not isinstance(raw, str) or not raw or len(raw) > _MAX_LENGTH:
        raise InvalidPhoneNumber("phone number must be a non-empty string of at most 32 characters")
    compact = _compact(raw)
    if _SPELLING.fullmatch(compact) is None:
        raise InvalidPhoneNumber(
            "phone number may contain only digits, a leading '+', spaces, dots, dashes and parentheses"
        )
    if compact.startswith("+"):
        text, region = compact, None
    elif compact.startswith("0"):
        if default_region is None:
            raise InvalidPhoneNumber(
                "phone number in national format needs a default region; write it in E.164 (+ and country code)"
            )
        text, region = compact, default_region
    else:
        text, region = "+" + compact, None
    # Digits without '+' are read as international; a national number written so gets a message that says it.
    read_as = NATIONAL_HINT if not compact.startswith(("+", "0")) else ""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"phone number is not valid: {error.args[0]}{read_as}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"phone number has the wrong length for its country code{read_as}")
    if parsed.national_number == 0:
        raise InvalidPhoneNumber("phone number has no subscriber digits after its country code")
    key = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    if parsed.italian_leading_zero:
        # phonenumbers may read a zero after the country code as a national prefix and drop it, one zero per reading
        # ('+20 0045…' → '20045…' → '2045…'). Settle on the form that reads back to itself, so that a stored key
        # and a key looked up from any spelling of the same number always agree.
        for _ in range(_MAX_LENGTH):
            again = phonenumbers.parse("+" + key, None)
            if not phonenumbers.is_possible_number(again) or again.national_number == 0:
                raise InvalidPhoneNumber("phone number has the wrong length for its country code")
            settled = phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164)[1:]
            if settled == key:
                break
            key = settled
    return key


#: Added to a refusal of digits written without '+' (read as international, country code first).
NATIONAL_HINT = " (digits without '+' are read as international: country code first, as in 14155550123)"


def e164(key: str) -> str:
    """Return the E.164 spelling (``+`` and digits) of a canonical key."""
    return "+" + key


def is_strict_e164(raw: str) -> bool:
    """Whether the text is strict E.164 as written: ``+``, a country code and subscriber digits, nothing else."""
    return _STRICT_E164.fullmatch(raw) is not None


def validate_phone_number(raw: str, *, e164_check: bool, default_region: str | None = None) -> str:
    """Check a number for storage and return its canonical key.

    With ``e164_check`` the text must be strict E.164 exactly as written (and a possible number).
    """
    if e164_check and not is_strict_e164(raw):
        raise InvalidPhoneNumber(
            "phone number must be in strict E.164 format ('+' followed by country code and subscriber number)"
        )
    return canonical_key(raw, default_region)


def plain_key(raw: str) -> str | None:
    """The called number's digits when it is written plainly (digits, optionally after ``+``), else ``None``.

    Carriers send called numbers this way, so this is the lookup key routing tries first, at no parsing cost.
    """
    # Written for speed (routing calls this on every call): a slice compare is cheaper than a method call.
    digits = raw[1:] if raw[:1] == "+" else raw
    if digits.isdigit() and digits.isascii() and digits[0] != "0":
        return digits
    return None


def candidate_keys(raw: str, default_region: str | None = None) -> Iterator[str]:
    """Yield keys to look a called number up by, cheapest first: its plain digits, then its canonical key if different.

    Lazy and never raising: the caller stops at the first hit, so a well-formed called number costs no parsing, and
    a number that cannot be read simply yields nothing more. Because canonical keys are fixed points, a hit on the
    plain digits is the answer the canonical key would give.
    """
    digits = raw[1:] if raw.startswith("+") else raw
    if not (digits.isascii() and digits.isdigit()):
        # Carriers send plain digits; only other spellings pay for removing separators.
        compact = _compact(raw)
        digits = compact[1:] if compact.startswith("+") else compact
    plain = digits if digits.isascii() and digits.isdigit() and not digits.startswith("0") else None
    if plain is not None:
        yield plain
    try:
        key = canonical_key(raw, default_region)
    except InvalidPhoneNumber:
        return
    if key != plain:
        yield key
