"""The guide's ``POST /call`` body, the inbound setup and unlink bodies, the DTMF and transfer bodies, as requests."""

from __future__ import annotations

from byot_core.domain.call_control import MSG_DTMF, dtmf_digits
from byot_core.domain.call_request import RING_TIMEOUT_BOUNDS, CallRequest, MappingRequest, id_problem, number_key
from byot_core.domain.callbacks import callback_url_problem
from byot_core.domain.config_safety import text_problem
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.transfer import MSG_TRANSFER_MODE, TransferMode, TransferRequest
from byot_core.guide.fields import FieldReader, as_mapping

__all__ = ["read_call", "read_dtmf", "read_mapping", "read_transfer"]

# ring_timeout_seconds, record and status_callback_url are beyond the guide: optional, so the guide's bodies read as
# before.
_CALL_FIELDS = frozenset(
    {"agent_id", "recipient", "from_number", "ring_timeout_seconds", "record", "status_callback_url"}
)
_RECIPIENT_FIELDS = frozenset({"phone_number", "name"})
_MAPPING_FIELDS = frozenset({"agent_id", "phone_number_id"})


def _id(fields: FieldReader, name: str) -> str | None:
    raw = fields.data.get(name)
    value = fields.text(name, nullable=False) if raw is not None else ""
    if not isinstance(value, str):
        return None
    problem = id_problem(fields.path(name), value)
    if problem is not None:
        fields.problems.append(problem)
        return None
    return value


def _number(fields: FieldReader, name: str, region: str | None) -> tuple[str, str] | None:
    raw = fields.text(name, nullable=False)
    if not isinstance(raw, str):
        if not fields.present(name):
            fields.fail(name, f"{name}_required", f"{fields.path(name)} is required")
        return None
    key, problem = number_key(fields.path(name), raw, region)
    if problem is not None:
        fields.problems.append(problem)
    return (raw, key) if key is not None else None


def read_call(payload: object, default_region: str | None = None) -> CallRequest:
    """A call body as a checked request; raises :class:`ValidationFailed` with every problem."""
    problems: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", problems)
    agent_id = _id(fields, "agent_id")
    recipient_number: tuple[str, str] | None = None
    recipient_name: str | None = None
    if fields.data.get("recipient") is None:
        fields.fail("recipient", "recipient_required", "recipient is required")
    elif (recipient := fields.object_reader("recipient")) is not None:
        recipient_number = _number(recipient, "phone_number", default_region)
        name = recipient.text("name")
        if isinstance(name, str):
            reason = text_problem(name)
            if reason is not None:
                recipient.invalid("name", reason)
            recipient_name = name
        recipient.refuse_unknown(_RECIPIENT_FIELDS)
    from_number = _number(fields, "from_number", default_region)
    ring = (
        fields.integer("ring_timeout_seconds", *RING_TIMEOUT_BOUNDS)
        if fields.data.get("ring_timeout_seconds") is not None
        else None
    )
    record = fields.flag("record")
    callback = fields.text("status_callback_url")
    url_problem = callback_url_problem("status_callback_url", callback) if isinstance(callback, str) else None
    if url_problem is not None:
        problems.append(url_problem)
    fields.refuse_unknown(_CALL_FIELDS)
    if problems or agent_id is None or recipient_number is None or from_number is None:
        raise ValidationFailed(problems)
    return CallRequest(
        agent_id=agent_id,
        recipient_number=recipient_number[0],
        recipient_key=recipient_number[1],
        from_number=from_number[0],
        from_key=from_number[1],
        recipient_name=recipient_name,
        ring_timeout_seconds=ring if isinstance(ring, int) else None,
        record=record is True,
        status_callback_url=callback if isinstance(callback, str) else None,
    )


def read_mapping(payload: object) -> MappingRequest:
    """An inbound setup or unlink body (``agent_id`` and ``phone_number_id``) as a checked request."""
    problems: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", problems)
    agent_id = _id(fields, "agent_id")
    number_id = _id(fields, "phone_number_id")
    fields.refuse_unknown(_MAPPING_FIELDS)
    if problems or agent_id is None or number_id is None:
        raise ValidationFailed(problems)
    return MappingRequest(agent_id=agent_id, phone_number_id=number_id)


def read_dtmf(payload: object) -> str:
    """A DTMF body (``{"digits": "123#"}``, beyond the guide) as checked digits."""
    problems: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", problems)
    digits = fields.text("digits", nullable=False)
    if isinstance(digits, str):
        try:
            dtmf_digits(digits)
        except ValidationFailed as refused:
            problems.extend(refused.problems)
    elif not any(p.path == "digits" for p in problems):
        fields.fail("digits", "invalid_digits", MSG_DTMF)
    fields.refuse_unknown(frozenset({"digits"}))
    if problems or not isinstance(digits, str):
        raise ValidationFailed(problems)
    return digits


def read_transfer(payload: object, default_region: str | None = None) -> TransferRequest:
    """A transfer body (``{"to": "+…", "mode": "bridge" | "refer", "ring_timeout_seconds": …}``, beyond the guide)."""
    problems: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", problems)
    to = _number(fields, "to", default_region)
    mode: TransferMode | None = TransferMode.BRIDGE
    raw_mode = fields.text("mode", nullable=False) if fields.present("mode") else TransferMode.BRIDGE.value
    if isinstance(raw_mode, str):
        try:
            mode = TransferMode(raw_mode)
        except ValueError:
            fields.fail("mode", "invalid_field", MSG_TRANSFER_MODE)
            mode = None
    ring = (
        fields.integer("ring_timeout_seconds", *RING_TIMEOUT_BOUNDS)
        if fields.data.get("ring_timeout_seconds") is not None
        else None
    )
    fields.refuse_unknown(frozenset({"to", "mode", "ring_timeout_seconds"}))
    if problems or to is None or mode is None:
        raise ValidationFailed(problems)
    return TransferRequest(to[0], to[1], mode, ring if isinstance(ring, int) else None)
