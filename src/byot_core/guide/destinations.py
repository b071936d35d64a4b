"""Outbound destination policies (beyond the guide) read from JSON.

A trunk's ``outbound_destinations`` and an account's ``PUT /account/outbound-destinations`` body.

``{"countries": ["IN", "US"], "premium_rate": false, "shared_cost": false, "satellite": false}``; every field may be
left out. On a trunk a flag may be ``null`` (the account's choice); on an account a flag left out is ``false``.
"""

from __future__ import annotations

from collections.abc import Sequence

from byot_core.domain.destinations import MAX_COUNTRIES, DestinationPolicy, destination_policy
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.guide.fields import MISSING, FieldReader, Missing, as_mapping

__all__ = ["DESTINATION_FIELDS", "read_account_destinations", "read_destinations"]

_FLAGS = ("premium_rate", "shared_cost", "satellite")
#: The fields a destination policy's object may carry.
DESTINATION_FIELDS = frozenset({"countries", *_FLAGS})


def _policy(reader: FieldReader, *, nullable_flags: bool) -> DestinationPolicy | None:
    """The object's policy, or ``None`` when it had a problem (recorded on ``reader``)."""
    before = len(reader.problems)
    flags: dict[str, bool | None] = {}
    for name in _FLAGS:
        if nullable_flags and reader.present(name) and reader.data[name] is None:
            flags[name] = None
            continue
        value = reader.flag(name)
        flags[name] = value if isinstance(value, bool) else (None if nullable_flags else False)
    countries: list[str] = []
    items = reader.array("countries")
    if isinstance(items, Sequence):
        if len(items) > MAX_COUNTRIES:
            reader.invalid("countries", f"must have at most {MAX_COUNTRIES} entries")
        else:
            for index, item in enumerate(items):
                if isinstance(item, str):
                    countries.append(item)
                else:
                    path = f"{reader.path('countries')}[{index}]"
                    reader.problems.append(Problem(path, "invalid_field", f"{path} must be a string"))
    reader.refuse_unknown(DESTINATION_FIELDS)
    if len(reader.problems) > before:
        return None
    try:
        return destination_policy(countries, **flags, path=reader.prefix)
    except ValidationFailed as error:
        reader.problems.extend(error.problems)
        return None


def read_destinations(fields: FieldReader, name: str = "outbound_destinations") -> DestinationPolicy | Missing | None:
    """A trunk's policy field: the policy, ``None`` for ``null`` (the account's), or ``MISSING`` (not sent, or bad)."""
    if not fields.present(name):
        return MISSING
    if fields.data[name] is None:
        return None
    reader = fields.object_reader(name)
    if reader is None:
        return MISSING
    policy = _policy(reader, nullable_flags=True)
    return MISSING if policy is None else policy


def read_account_destinations(payload: object) -> DestinationPolicy:
    """An account's policy body; raises :class:`ValidationFailed` listing every problem."""
    problems: list[Problem] = []
    policy = _policy(FieldReader(as_mapping(payload), "", problems), nullable_flags=False)
    if policy is None:
        raise ValidationFailed(problems)
    return policy
