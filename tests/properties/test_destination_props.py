"""Properties of the toll-fraud guard: what a number is, how a trunk's policy completes the account's."""

from __future__ import annotations

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.destinations import (
    COUNTRIES,
    DestinationPolicy,
    NumberKind,
    destination_of,
    destination_policy,
)

_TYPES = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE: NumberKind.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST: NumberKind.SHARED_COST,
    phonenumbers.PhoneNumberType.MOBILE: None,
    phonenumbers.PhoneNumberType.FIXED_LINE: None,
}
regions = st.sampled_from(sorted(COUNTRIES))
flags = st.sampled_from([None, True, False])
policies = st.builds(
    DestinationPolicy,
    countries=st.lists(regions, max_size=4, unique=True).map(lambda c: tuple(sorted(c))),
    premium_rate=flags,
    shared_cost=flags,
    satellite=flags,
)
satellite_numbers = st.sampled_from(["870", "881", "88216"]).flatmap(
    lambda prefix: st.text("0123456789", min_size=12 - len(prefix), max_size=12 - len(prefix)).map(
        lambda rest: prefix + rest
    )
)


@given(regions, st.sampled_from(sorted(_TYPES)))
def test_phonenumbers_example_numbers_are_told_by_country_and_kind(region: str, number_type: int) -> None:
    """Every country's own example of each type reads as the matching kind (or none), and in its country.

    Countries sharing a calling code (the NANP's +1, Morocco's and Western Sahara's +212) may share ranges, a
    premium-rate 900 range for one: such a number reads as one of the countries of its code.
    """
    example = phonenumbers.example_number_for_type(region, number_type)
    if example is None:
        return
    key = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
    destination = destination_of(key)
    sharing = phonenumbers.region_codes_for_country_code(example.country_code or 0)
    assert destination.country == region or (destination.country in sharing and region in sharing)
    if not key.startswith(("870", "881", "979")):
        assert destination.kind == _TYPES[number_type]


@given(satellite_numbers)
def test_satellite_networks_are_satellite_and_in_no_country(key: str) -> None:
    """+870, +881 and +88216 are satellite whatever follows, and in no country."""
    assert destination_of(key).kind is NumberKind.SATELLITE
    assert destination_of(key).country is None


@given(policies, policies)
def test_a_trunk_policy_over_the_accounts_takes_each_part_from_the_trunk_when_set(
    trunk: DestinationPolicy, account: DestinationPolicy
) -> None:
    """Countries from the trunk unless empty, each flag from the trunk unless None; idempotent.

    An empty trunk policy is the account's.
    """
    combined = trunk.over(account)
    assert combined.countries == (trunk.countries or account.countries)
    for name in ("premium_rate", "shared_cost", "satellite"):
        own = getattr(trunk, name)
        assert getattr(combined, name) == (own if own is not None else getattr(account, name))
    assert DestinationPolicy().over(account) == account
    assert trunk.over(combined) == combined


@given(policies, regions, st.sampled_from(sorted(_TYPES)))
def test_allowing_more_never_refuses_what_was_allowed(policy: DestinationPolicy, region: str, number_type: int) -> None:
    """Adding a country or allowing a kind can only turn refusals into calls, never the reverse."""
    example = phonenumbers.example_number_for_type(region, number_type)
    if example is None:
        return
    key = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
    destination = destination_of(key)
    country = destination.country or region
    wider = DestinationPolicy(
        countries=tuple(sorted({*policy.countries, country})) if policy.countries else (),
        premium_rate=True,
        shared_cost=policy.shared_cost,
        satellite=policy.satellite,
    )
    if policy.refusal(key, destination) is None:
        assert wider.refusal(key, destination) is None
    if destination.kind in (None, NumberKind.PREMIUM_RATE):
        assert wider.refusal(key, destination) is None


@given(st.lists(regions.map(str.lower), max_size=6))
def test_a_checked_policy_is_upper_case_sorted_and_once_each(codes: list[str]) -> None:
    """Codes in any case come out upper-case, sorted, without repeats."""
    assert destination_policy(codes).countries == tuple(sorted({c.upper() for c in codes}))
