"""An outbound call and an inbound mapping as the use cases take them, with the rules their values follow."""

from __future__ import annotations

import attrs

from byot_core.domain.callbacks import callback_url_problem
from byot_core.domain.config_safety import text_problem
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.numbers import InvalidPhoneNumber, canonical_key
from byot_core.domain.trunk import SETTING_BOUNDS

__all__ = [
    "RING_TIMEOUT_BOUNDS",
    "CallRequest",
    "MappingRequest",
    "call_request",
    "id_problem",
    "mapping_request",
    "number_key",
    "ring_timeout_problem",
]

#: Inclusive bounds of a call's own ring timeout, in seconds (the same as a trunk's default).
RING_TIMEOUT_BOUNDS = SETTING_BOUNDS["ring_timeout_seconds"]


@attrs.frozen
class CallRequest:
    """A validated outbound call request: who calls, whom, and from which DID (with canonical keys).

    ``ring_timeout_seconds`` (beyond the guide), when given, replaces the trunk's for every attempt of this call;
    ``record`` (beyond the guide) records the call once answered; ``status_callback_url`` (beyond the guide) is sent
    the call's status events (else the agent's, if it has one).
    """

    agent_id: str
    recipient_number: str
    recipient_key: str
    from_number: str
    from_key: str
    recipient_name: str | None = None
    ring_timeout_seconds: int | None = None
    record: bool = False
    status_callback_url: str | None = None


@attrs.frozen
class MappingRequest:
    """A validated inbound setup or unlink: which agent, which phone number record."""

    agent_id: str
    phone_number_id: str


def id_problem(path: str, value: str) -> Problem | None:
    """An id must be given (not blank) and be plain text of at most 128 characters."""
    if not value.strip():
        return Problem(path, f"{path.rpartition('.')[2]}_required", f"{path} is required")
    reason = text_problem(value, max_length=128)
    return Problem(path, "invalid_field", f"{path} {reason}") if reason is not None else None


def number_key(path: str, value: str, region: str | None) -> tuple[str | None, Problem | None]:
    """A number's canonical key, or the problem that it is not a phone number."""
    try:
        return canonical_key(value, region), None
    except InvalidPhoneNumber as error:
        return None, Problem(path, "invalid_phone_number", f"{path}: {error}")


def call_request(
    agent_id: str,
    recipient_number: str,
    from_number: str,
    *,
    recipient_name: str | None = None,
    default_region: str | None = None,
    ring_timeout_seconds: int | None = None,
    record: bool = False,
    status_callback_url: str | None = None,
) -> CallRequest:
    """A validated call request from typed values; raises :class:`ValidationFailed` with every problem."""
    recipient_key, recipient_problem = number_key("recipient.phone_number", recipient_number, default_region)
    from_key, from_problem = number_key("from_number", from_number, default_region)
    name_reason = text_problem(recipient_name) if recipient_name is not None else None
    name_problem = Problem("recipient.name", "invalid_field", f"recipient.name {name_reason}") if name_reason else None
    ring_problem = ring_timeout_problem("ring_timeout_seconds", ring_timeout_seconds)
    url_problem = callback_url_problem("status_callback_url", status_callback_url)
    found = (id_problem("agent_id", agent_id), recipient_problem, name_problem, from_problem, ring_problem, url_problem)
    problems = [p for p in found if p]
    if problems or recipient_key is None or from_key is None:
        raise ValidationFailed(problems)
    return CallRequest(
        agent_id,
        recipient_number,
        recipient_key,
        from_number,
        from_key,
        recipient_name,
        ring_timeout_seconds,
        record,
        status_callback_url,
    )


def ring_timeout_problem(path: str, value: int | None) -> Problem | None:
    """A ring timeout, when given, must be a whole number of seconds within :data:`RING_TIMEOUT_BOUNDS`."""
    low, high = RING_TIMEOUT_BOUNDS
    if value is None or (not isinstance(value, bool) and isinstance(value, int) and low <= value <= high):
        return None
    return Problem(path, "invalid_field", f"{path} must be an integer from {low} to {high}")


def mapping_request(agent_id: str, phone_number_id: str) -> MappingRequest:
    """A validated mapping from typed values; raises :class:`ValidationFailed` with every problem."""
    problems = [p for p in (id_problem("agent_id", agent_id), id_problem("phone_number_id", phone_number_id)) if p]
    if problems:
        raise ValidationFailed(problems)
    return MappingRequest(agent_id, phone_number_id)
