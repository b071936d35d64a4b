"""The guide's phone number body (``POST …/numbers``, and each of a trunk's ``phone_numbers``) read into a draft."""

from __future__ import annotations

from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.missing import MISSING
from byot_core.domain.number_draft import NumberDraft, number_problems
from byot_core.guide.fields import FieldReader, as_mapping

__all__ = ["NUMBER_FIELDS", "read_number", "read_number_fields"]

#: The fields a phone number body may carry.
NUMBER_FIELDS = frozenset({"phone_number", "name", "e164_check_enabled", "is_active"})


def read_number_fields(fields: FieldReader, default_region: str | None) -> NumberDraft | None:
    """Read one phone number object, recording problems in the reader; ``None`` when it is refused."""
    before = len(fields.problems)
    raw = fields.text("phone_number", nullable=False)
    name = fields.text("name")
    e164_check = fields.flag("e164_check_enabled")
    is_active = fields.flag("is_active")
    fields.refuse_unknown(NUMBER_FIELDS)
    if raw is MISSING and not fields.present("phone_number"):
        fields.fail("phone_number", "phone_number_required", "phone_number is required")
    if not isinstance(raw, str):
        return None
    key, problems = number_problems(
        raw,
        name if isinstance(name, str) else None,
        e164_check_enabled=e164_check is True,
        default_region=default_region,
        path=fields.prefix,
    )
    fields.problems.extend(problems)
    if len(fields.problems) > before or key is None:
        return None
    return NumberDraft(
        phone_number=raw,
        canonical_key=key,
        name=name if isinstance(name, str) else None,
        e164_check_enabled=e164_check is True,
        is_active=is_active if isinstance(is_active, bool) else True,
    )


def read_number(payload: object, default_region: str | None = None) -> NumberDraft:
    """A phone number body as a checked draft; raises :class:`ValidationFailed` with every problem."""
    problems: list[Problem] = []
    draft = read_number_fields(FieldReader(as_mapping(payload), "", problems), default_region)
    if problems or draft is None:
        raise ValidationFailed(problems)
    return draft
