"""Validation of the phone number request body (``POST .../numbers`` and a trunk's ``phone_numbers``)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from byot_core.domain.config_safety import text_problem
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.fields import MISSING, FieldReader, as_mapping
from byot_core.domain.numbers import InvalidPhoneNumber, validate_phone_number

__all__ = ["NUMBER_FIELDS", "NumberDraft", "parse_number", "read_number"]

#: The fields a phone number body may carry.
NUMBER_FIELDS = frozenset({"phone_number", "name", "e164_check_enabled", "is_active"})


@attrs.frozen
class NumberDraft:
    """A validated phone number, ready to be stored: the text as given and its canonical key."""

    phone_number: str
    canonical_key: str
    name: str | None = None
    e164_check_enabled: bool = False
    is_active: bool = True


def read_number(fields: FieldReader, default_region: str | None) -> NumberDraft | None:
    """Read one phone number object, recording problems; ``None`` when it is refused."""
    before = len(fields.problems)
    raw = fields.text("phone_number", nullable=False)
    name = fields.text("name", check=text_problem)
    e164_check = fields.flag("e164_check_enabled")
    is_active = fields.flag("is_active")
    fields.refuse_unknown(NUMBER_FIELDS)
    if raw is MISSING and not fields.present("phone_number"):
        fields.fail("phone_number", "phone_number_required", "phone_number is required")
    key: str | None = None
    if isinstance(raw, str):
        try:
            key = validate_phone_number(raw, e164_check=e164_check is True, default_region=default_region)
        except InvalidPhoneNumber as error:
            fields.fail("phone_number", "invalid_phone_number", f"{fields.path('phone_number')}: {error}")
    if len(fields.problems) > before or not isinstance(raw, str) or key is None:
        return None
    return NumberDraft(
        phone_number=raw,
        canonical_key=key,
        name=name if isinstance(name, str) else None,
        e164_check_enabled=e164_check is True,
        is_active=is_active if isinstance(is_active, bool) else True,
    )


def parse_number(payload: object, default_region: str | None = None) -> NumberDraft:
    """Validate a phone number request body; raise :class:`ValidationFailed` with every problem."""
    data: Mapping[str, object] = as_mapping(payload)
    problems: list[Problem] = []
    draft = read_number(FieldReader(data, "", problems), default_region)
    if problems or draft is None:
        raise ValidationFailed(problems)
    return draft
