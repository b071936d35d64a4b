"""Validation of the call request body (``POST /call``) and the inbound mapping bodies."""

from __future__ import annotations

import attrs

from byot_core.domain.config_safety import text_problem
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.fields import FieldReader, as_mapping
from byot_core.domain.numbers import InvalidPhoneNumber, canonical_key

__all__ = ["CallRequest", "MappingRequest", "parse_call", "parse_mapping"]

_CALL_FIELDS = frozenset({"agent_id", "recipient", "from_number"})
_RECIPIENT_FIELDS = frozenset({"phone_number", "name"})
_MAPPING_FIELDS = frozenset({"agent_id", "phone_number_id"})


@attrs.frozen
class CallRequest:
    """A validated outbound call request: who calls, whom, and from which DID (with canonical keys)."""

    agent_id: str
    recipient_number: str
    recipient_key: str
    from_number: str
    from_key: str
    recipient_name: str | None = None


@attrs.frozen
class MappingRequest:
    """A validated inbound setup or unlink body."""

    agent_id: str
    phone_number_id: str


def _required_id(fields: FieldReader, name: str) -> str | None:
    value = fields.text(name, nullable=False, check=lambda v: text_problem(v, max_length=128))
    if isinstance(value, str) and value.strip():
        return value
    if not fields.problems or fields.problems[-1].path != fields.path(name):
        fields.fail(name, f"{name}_required", f"{fields.path(name)} is required")
    return None


def _number(fields: FieldReader, name: str, region: str | None) -> tuple[str, str] | None:
    raw = fields.text(name, nullable=False)
    if not isinstance(raw, str):
        if not fields.present(name):
            fields.fail(name, f"{name}_required", f"{fields.path(name)} is required")
        return None
    try:
        return raw, canonical_key(raw, region)
    except InvalidPhoneNumber as error:
        fields.fail(name, "invalid_phone_number", f"{fields.path(name)}: {error}")
        return None


def parse_call(payload: object, default_region: str | None = None) -> CallRequest:
    """Validate a call body; raise :class:`ValidationFailed` with every problem."""
    problems: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", problems)
    agent_id = _required_id(fields, "agent_id")
    recipient_number: tuple[str, str] | None = None
    recipient_name: str | None = None
    recipient = fields.object_reader("recipient") if fields.data.get("recipient") is not None else None
    if fields.data.get("recipient") is None:
        fields.fail("recipient", "recipient_required", "recipient is required")
    elif recipient is not None:
        recipient_number = _number(recipient, "phone_number", default_region)
        name = recipient.text("name", check=text_problem)
        recipient_name = name if isinstance(name, str) else None
        recipient.refuse_unknown(_RECIPIENT_FIELDS)
    from_number = _number(fields, "from_number", default_region)
    fields.refuse_unknown(_CALL_FIELDS)
    if problems:
        raise ValidationFailed(problems)
    assert agent_id is not None
    assert recipient_number is not None
    assert from_number is not None
    return CallRequest(
        agent_id=agent_id,
        recipient_number=recipient_number[0],
        recipient_key=recipient_number[1],
        from_number=from_number[0],
        from_key=from_number[1],
        recipient_name=recipient_name,
    )


def parse_mapping(payload: object) -> MappingRequest:
    """Validate an inbound setup or unlink body (``agent_id`` and ``phone_number_id``)."""
    problems: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", problems)
    agent_id = _required_id(fields, "agent_id")
    number_id = _required_id(fields, "phone_number_id")
    fields.refuse_unknown(_MAPPING_FIELDS)
    if problems:
        raise ValidationFailed(problems)
    assert agent_id is not None
    assert number_id is not None
    return MappingRequest(agent_id=agent_id, phone_number_id=number_id)
