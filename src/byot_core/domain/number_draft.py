"""A phone number as a use case takes it, validated and given its canonical key."""

from __future__ import annotations

import attrs

from byot_core.domain.config_safety import text_problem
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.numbers import InvalidPhoneNumber, validate_phone_number

__all__ = ["NumberDraft", "number_draft", "number_problems"]


@attrs.frozen
class NumberDraft:
    """A validated phone number, ready to be stored: the text as given and its canonical key."""

    phone_number: str
    canonical_key: str
    name: str | None = None
    e164_check_enabled: bool = False
    is_active: bool = True


def number_problems(
    phone_number: str,
    name: str | None,
    *,
    e164_check_enabled: bool,
    default_region: str | None,
    path: str = "",
) -> tuple[str | None, list[Problem]]:
    """The number's canonical key (``None`` if refused) and the problems with the number and its name."""
    prefix = f"{path}." if path else ""
    problems: list[Problem] = []
    if name is not None:
        reason = text_problem(name)
        if reason is not None:
            problems.append(Problem(f"{prefix}name", "invalid_field", f"{prefix}name {reason}"))
    try:
        key = validate_phone_number(phone_number, e164_check=e164_check_enabled, default_region=default_region)
    except InvalidPhoneNumber as error:
        where = f"{prefix}phone_number"
        problems.insert(0, Problem(where, "invalid_phone_number", f"{where}: {error}"))
        return None, problems
    return key, problems


def number_draft(
    phone_number: str,
    *,
    name: str | None = None,
    e164_check_enabled: bool = False,
    is_active: bool = True,
    default_region: str | None = None,
) -> NumberDraft:
    """A validated number from typed values; raises :class:`ValidationFailed` with every problem."""
    key, problems = number_problems(
        phone_number, name, e164_check_enabled=e164_check_enabled, default_region=default_region
    )
    if problems or key is None:
        raise ValidationFailed(problems)
    return NumberDraft(phone_number, key, name, e164_check_enabled, is_active)
