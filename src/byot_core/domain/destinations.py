"""Where outbound calls may go: a toll-fraud guard by destination country and by the kind of number.

Toll fraud is someone placing calls through a customer's trunk (an agent talked into a transfer, a leaked API key) to
numbers that pay the caller: premium-rate and shared-cost services, satellite networks, countries the customer never
calls. An account sets which countries its calls may reach and whether those three kinds of number may be called;
a trunk may narrow or widen that for its own calls. A call or a transfer to a destination outside the policy is
refused before anything is dialled.

phonenumbers tells a number's country (its ISO 3166 code, from the number's own pattern, else its country calling
code's main region) and its type (``PREMIUM_RATE``, ``SHARED_COST``). It has no satellite type: satellite networks
are told by their calling codes (+870 Inmarsat, +881 the Global Mobile Satellite System: Iridium, Globalstar and
others, +88216 Thuraya). International network numbers (+800, +808, +870, +881, +882, +883, +979) are in no country.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs
import phonenumbers

from byot_core.domain.errors import ByotError, ErrorKind, Problem, ValidationFailed

__all__ = [
    "ACCOUNT_DEFAULT",
    "COUNTRIES",
    "MAX_COUNTRIES",
    "Destination",
    "DestinationNotAllowed",
    "DestinationPolicy",
    "NumberKind",
    "destination_of",
    "destination_policy",
    "policy_problems",
]

#: Every ISO 3166 code phonenumbers knows a numbering plan for.
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
#: The most countries a policy may list (there are fewer than 250).
MAX_COUNTRIES = 300
# Calling codes (digits after '+') of satellite networks; the longest prefix is what a number is matched on.
_SATELLITE_PREFIXES = ("870", "881", "88216")
# The International Premium Rate Service: premium whatever the rest of the number.
_PREMIUM_PREFIXES = ("979",)
_NO_COUNTRY = "001"  # phonenumbers' region for international networks


class NumberKind(enum.Enum):
    """The kinds of number a policy may refuse, with the words its messages use."""

    PREMIUM_RATE = "premium-rate"
    SHARED_COST = "shared-cost"
    SATELLITE = "satellite"


@attrs.frozen
class Destination:
    """What a dialled number is: its country (``None`` for an international network) and its kind, if restricted."""

    country: str | None
    kind: NumberKind | None


def destination_of(key: str) -> Destination:
    """The destination of a canonical key (E.164 digits without ``+``).

    The key is as :func:`~byot_core.domain.numbers.canonical_key` makes it.
    """
    parsed = phonenumbers.parse("+" + key, None)
    # A number outside its country's known ranges still belongs to its calling code's main country.
    region = phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(
        parsed.country_code or 0
    )
    country = None if region in (_NO_COUNTRY, phonenumbers.UNKNOWN_REGION) else region
    kind: NumberKind | None = None
    if key.startswith(_SATELLITE_PREFIXES):
        kind = NumberKind.SATELLITE
    elif key.startswith(_PREMIUM_PREFIXES):
        kind = NumberKind.PREMIUM_RATE
    else:
        number_type = phonenumbers.number_type(parsed)
        if number_type == phonenumbers.PhoneNumberType.PREMIUM_RATE:
            kind = NumberKind.PREMIUM_RATE
        elif number_type == phonenumbers.PhoneNumberType.SHARED_COST:
            kind = NumberKind.SHARED_COST
    return Destination(country, kind)


class DestinationNotAllowed(ByotError):
    """The call's destination is outside the account's or the trunk's destination policy: nothing was dialled."""

    kind = ErrorKind.FORBIDDEN
    code = "destination_not_allowed"


@attrs.frozen
class DestinationPolicy:
    """Which destinations outbound calls may reach.

    ``countries``: ISO 3166 codes, sorted, each once; empty allows every country (for an account) or means the
    account's list (for a trunk). ``premium_rate``, ``shared_cost``, ``satellite``: whether such numbers may be
    called; ``None`` means the account's choice (for a trunk) or no (for an account: all three are refused until the
    account allows them).
    """

    countries: tuple[str, ...] = ()
    premium_rate: bool | None = None
    shared_cost: bool | None = None
    satellite: bool | None = None

    def over(self, account: DestinationPolicy) -> DestinationPolicy:
        """A trunk's policy completed with its account's: what the trunk's calls may reach."""
        return DestinationPolicy(
            countries=self.countries or account.countries,
            premium_rate=_first(self.premium_rate, account.premium_rate),
            shared_cost=_first(self.shared_cost, account.shared_cost),
            satellite=_first(self.satellite, account.satellite),
        )

    def for_account(self) -> DestinationPolicy:
        """The policy as an account holds it: a flag left ``None`` is no."""
        return DestinationPolicy(
            countries=self.countries,
            premium_rate=self.premium_rate is True,
            shared_cost=self.shared_cost is True,
            satellite=self.satellite is True,
        )

    def allows(self, kind: NumberKind) -> bool:
        """Whether numbers of that kind may be called (unset is no)."""
        allowed = {
            NumberKind.PREMIUM_RATE: self.premium_rate,
            NumberKind.SHARED_COST: self.shared_cost,
            NumberKind.SATELLITE: self.satellite,
        }[kind]
        return allowed is True

    def refusal(self, number: str, destination: Destination) -> DestinationNotAllowed | None:
        """Why a call to ``number`` (as the caller wrote it) may not be placed, or ``None`` when it may."""
        if destination.kind is not None and not self.allows(destination.kind):
            return DestinationNotAllowed(
                f"Calls to {destination.kind.value} numbers are not allowed: {number} is one "
                f"(allow {destination.kind.name.lower()} in the account's or the trunk's outbound destinations)"
            )
        if self.countries and destination.country not in self.countries:
            where = f"is in {destination.country}" if destination.country else "is in no country"
            return DestinationNotAllowed(
                f"Calls to {number} are not allowed: it {where}, and outbound destinations allow "
                f"{', '.join(self.countries)} only"
            )
        return None


#: An account's policy until it sets one: every country, none of the restricted kinds of number.
ACCOUNT_DEFAULT = DestinationPolicy().for_account()


def _first(own: bool | None, account: bool | None) -> bool | None:
    return own if own is not None else account


def policy_problems(policy: DestinationPolicy, path: str = "outbound_destinations") -> list[Problem]:
    """What is wrong with a policy's countries: too many, or a code that is not an upper-case ISO 3166 code.

    Paths are ``{path}.countries[i]`` (``countries[i]`` when ``path`` is empty).
    """
    field = f"{path}.countries" if path else "countries"
    if len(policy.countries) > MAX_COUNTRIES:
        return [Problem(field, "invalid_field", f"{field} must have at most {MAX_COUNTRIES} entries")]
    return [
        Problem(
            f"{field}[{i}]", "invalid_country", f"{field}[{i}] must be an ISO 3166 country code such as 'IN' or 'US'"
        )
        for i, code in enumerate(policy.countries)
        if code not in COUNTRIES
    ]


def destination_policy(
    countries: Iterable[str],
    *,
    premium_rate: bool | None = None,
    shared_cost: bool | None = None,
    satellite: bool | None = None,
    path: str = "outbound_destinations",
) -> DestinationPolicy:
    """A checked policy: country codes read in either case, kept upper-case, sorted and once each.

    Raises :class:`ValidationFailed` with :func:`policy_problems`.
    """
    upper = tuple(code.upper() if isinstance(code, str) else "" for code in countries)
    flags = {"premium_rate": premium_rate, "shared_cost": shared_cost, "satellite": satellite}
    problems = policy_problems(DestinationPolicy(upper, **flags), path)
    if problems:
        raise ValidationFailed(problems)
    return DestinationPolicy(tuple(sorted(set(upper))), **flags)
