"""Hypothesis strategies shared by every property test."""

from __future__ import annotations

from typing import Any

import phonenumbers
from hypothesis import strategies as st

from byot_core.domain.trunk import Gateway

# Country codes phonenumbers knows, so that generated numbers can be possible numbers.
COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@st.composite
def canonical_keys(draw: st.DrawFn) -> str:
    """E.164 digits (no '+') of possible numbers, from real example numbers and random subscriber digits."""
    region = draw(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
    example = phonenumbers.example_number(region)
    if example is None or draw(st.booleans()):
        code = draw(st.sampled_from(COUNTRY_CODES))
        national = draw(st.text("0123456789", min_size=4, max_size=13))
        candidate = f"+{code}{national}"
        try:
            parsed = phonenumbers.parse(candidate, None)
        except phonenumbers.NumberParseException:
            parsed = phonenumbers.parse("+14155550100", None)
        if not phonenumbers.is_possible_number(parsed) or parsed.national_number == 0:
            parsed = phonenumbers.parse("+14155550100", None)
    else:
        parsed = example
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    reparsed = phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.E164)
    if reparsed != e164:
        # phonenumbers itself does not read back some leading zeros it writes (+381 0…): not a canonical form.
        e164 = "+14155550100"
    return e164[1:]


@st.composite
def spellings(draw: st.DrawFn, key: str) -> str:
    """One way a person or a carrier might write the number whose E.164 digits are ``key``."""
    digits = list(key)
    out: list[str] = []
    for index, digit in enumerate(digits):
        if index and draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from([" ", "-", ".", " ", "-"])))
        out.append(digit)
    text = "".join(out)
    if draw(st.booleans()):
        text = "+" + text
    return text


def gateways(min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[list[Gateway]]:
    """Gateway lists with random priorities and weights (ids unique)."""
    one = st.tuples(st.integers(1, 5), st.integers(1, 10))
    return st.lists(one, min_size=min_size, max_size=max_size).map(
        lambda specs: [
            Gateway(id=f"g{index}", address=f"gw{index}.example.com", priority=priority, weight=weight)
            for index, (priority, weight) in enumerate(specs)
        ]
    )


ipv4_networks = st.tuples(st.integers(0, 2**32 - 1), st.integers(8, 32)).map(
    lambda pair: f"{(pair[0] >> 24) & 255}.{(pair[0] >> 16) & 255}.{(pair[0] >> 8) & 255}.{pair[0] & 255}/{pair[1]}"
)
ipv4_addresses = st.integers(0, 2**32 - 1).map(lambda v: f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}")


def trunk_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Create bodies the write path accepts (userpass or ip-based)."""
    gateway = st.fixed_dictionaries(
        {"gateway_address": st.sampled_from(["sip.a.example", "10.0.0.1", "2001:db8::5", "gw.b.example"])},
        optional={"port": st.integers(1, 65535), "priority": st.integers(1, 9)},
    )
    common = {
        "name": st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12),
        "provider": st.sampled_from(["twilio", "plivo", "custom"]),
        "gateways": st.lists(gateway, min_size=1, max_size=3, unique_by=lambda g: g["gateway_address"]),
    }
    userpass = st.fixed_dictionaries(
        {**common, "auth_type": st.just("userpass"), "auth_username": st.just("u"), "auth_password": st.just("p")},
        optional={"inbound_enabled": st.booleans(), "allow": st.sampled_from(["ulaw", "alaw", "ulaw,alaw,g722"])},
    )
    ip_based = st.fixed_dictionaries(
        {
            **common,
            "auth_type": st.just("ip-based"),
            "ip_identifiers": st.lists(ipv4_networks, min_size=1, max_size=4, unique=True).map(
                lambda nets: [{"ip_address": n} for n in nets]
            ),
        },
        optional={"inbound_enabled": st.booleans()},
    )
    return st.one_of(userpass, ip_based)
