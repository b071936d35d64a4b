"""Status callbacks: the events a call's receiver is sent, how they are signed, retried and given up on.

An event is written in the same transaction as the change it reports (an outbox), then delivered from there, in
order per call, to the URL the call or its agent names. Each is signed with the account's secret:
``Byot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, so a receiver checks both the body and
its age. A receiver that does not answer 2xx is tried again with backoff (1 s, doubling to 10 minutes) for at least
24 hours; one that answers 4xx (other than 408 and 429) refuses the event for good: it is recorded undeliverable.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from byot_core.domain.errors import Problem
from byot_core.domain.secret import SealedSecret

if TYPE_CHECKING:
    # Types only: the call request (which the execution's modules use) checks its callback URL here.
    from byot_core.domain.execution import Execution

__all__ = [
    "GIVE_UP_AFTER",
    "MAX_ERROR_LENGTH",
    "ROTATION_OVERLAP",
    "SIGNATURE_HEADER",
    "CallbackEvent",
    "DeliveryOutcome",
    "EventState",
    "SigningKeys",
    "callback_url_problem",
    "events_for_change",
    "outcome_of",
    "retry_at",
    "sign",
]

#: The header carrying the signature.
SIGNATURE_HEADER = "Byot-Signature"
#: How long events are signed with both the new and the replaced secret after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
#: How long an event is retried before it is given up on (measured from when it was written).
GIVE_UP_AFTER = timedelta(hours=24)
_FIRST_RETRY = timedelta(seconds=1)
_LONGEST_WAIT = timedelta(minutes=10)
_MAX_URL = 2048
#: The most characters of a receiver's answer or error kept with an event.
MAX_ERROR_LENGTH = 300


class EventState(enum.Enum):
    """Where an event is in its delivery."""

    PENDING = "pending"
    DELIVERED = "delivered"
    #: The receiver refused it for good (4xx other than 408, 429), or it could not be delivered within 24 hours.
    UNDELIVERABLE = "undeliverable"


class DeliveryOutcome(enum.Enum):
    """What one delivery attempt means for its event."""

    DELIVERED = "delivered"
    RETRY = "retry"
    GIVE_UP = "give_up"


@attrs.frozen
class CallbackEvent:
    """One event of a call, waiting in the outbox or delivered.

    Its id (the receiver's deduplication key), its call, its place in the call's events (``sequence``, from 1), where
    it goes, and its body exactly as sent.
    """

    id: str
    account_id: str
    execution_id: str
    sequence: int
    url: str
    body: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    state: EventState = EventState.PENDING
    last_error: str | None = None
    delivered_at: datetime | None = None


def outcome_of(status: int | None) -> DeliveryOutcome:
    """What a receiver's answer means.

    2xx: delivered; 4xx but 408 and 429: refused for good; the rest (no answer, 3xx, 408, 429, 5xx): tried again.
    """
    if status is not None and 200 <= status < 300:
        return DeliveryOutcome.DELIVERED
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        return DeliveryOutcome.GIVE_UP
    return DeliveryOutcome.RETRY


def retry_at(event: CallbackEvent, now: datetime) -> datetime | None:
    """When to try an event again after its ``event.attempts``-th failed attempt, or ``None`` once 24 hours passed.

    The wait doubles from 1 s up to 10 minutes, so a receiver down for a minute gets its events within seconds of
    coming back, and one down for a day is still tried every 10 minutes until the event is 24 hours old.
    """
    if now - event.created_at >= GIVE_UP_AFTER:
        return None
    wait: timedelta = min(_FIRST_RETRY * (2 ** min(max(event.attempts - 1, 0), 20)), _LONGEST_WAIT)
    return now + wait


def callback_url_problem(path: str, url: str | None) -> Problem | None:
    """What is wrong with a status callback URL, when one is given.

    It must be an ``http`` or ``https`` URL with a host, of at most 2048 characters, and carry no credentials (they
    would be stored and logged in clear: events are signed instead).
    """
    if url is None:
        return None
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= _MAX_URL else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or "\\" in url:
        return Problem(
            path, "invalid_callback_url", f"{path} must be an http or https URL of at most {_MAX_URL} characters"
        )
    if parts.username or parts.password:
        return Problem(path, "invalid_callback_url", f"{path} must not carry credentials (events are signed instead)")
    return None


def sign(secrets: Sequence[str], timestamp: int, body: str) -> str:
    """The signature header's value for a body sent at ``timestamp`` (unix seconds): one ``v1`` per secret.

    Two secrets for a day after a rotation (the new one first), so a receiver can switch to the new one at its pace.
    """
    macs = [hmac.new(s.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={mac}" for mac in macs)])


@attrs.frozen
class SigningKeys:
    """An account's callback secrets, sealed: the current one, and the one it replaced with when."""

    current: SealedSecret
    previous: SealedSecret | None = None
    rotated_at: datetime | None = None

    def in_use(self, now: datetime) -> tuple[SealedSecret, ...]:
        """The secrets events are signed with now: the current one, and the previous one for a day after a rotation."""
        recent = self.rotated_at is not None and now - self.rotated_at < ROTATION_OVERLAP
        return (self.current, self.previous) if recent and self.previous is not None else (self.current,)


def _status_body(execution: Execution, event_id: str, sequence: int, at: datetime) -> dict[str, Any]:
    reason = execution.hangup_reason
    body: dict[str, Any] = {
        "event_id": event_id,
        "sequence": sequence,
        "type": "call.status",
        "execution_id": execution.id,
        "status": execution.status.value,
        "direction": execution.direction.value,
        "agent_id": execution.agent_id,
        "from_number": execution.from_number,
        "to_number": execution.to_number,
        "trunk_id": execution.trunk_id,
        "occurred_at": _iso(at),
    }
    if execution.status.is_terminal:
        leg = execution.leg
        body |= {
            "answered_at": _iso(execution.answered_at),
            "ended_at": _iso(execution.ended_at),
            "duration_seconds": execution.duration_seconds,
            "hangup_reason": reason.text if reason else None,
            "hangup_cause": (
                {"name": reason.cause_name, "q850": reason.q850_cause, "sip": reason.sip_code} if reason else None
            ),
            "attempts": len(execution.attempts),
            "sip_call_id": leg.sip_call_id if leg is not None else None,
            "codec": leg.codec if leg is not None else None,
        }
    return body


def _transfer_body(execution: Execution, event_id: str, sequence: int, at: datetime) -> dict[str, Any]:
    transfer = execution.transfers[-1]
    return {
        "event_id": event_id,
        "sequence": sequence,
        "type": "call.transfer",
        "execution_id": execution.id,
        "status": execution.status.value,
        "transfer": {"to": transfer.to, "mode": transfer.mode.value, "status": transfer.status.value},
        "occurred_at": _iso(at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def events_for_change(
    before: Execution | None,
    after: Execution,
    url: str,
    new_id: Callable[[], str],
    first_sequence: int,
    now: datetime,
) -> list[CallbackEvent]:
    """The events a stored change of a call makes: one per new status, one per new step of its latest transfer.

    ``new_id`` makes event ids; ``first_sequence`` is the sequence the first of them takes.
    """
    bodies: list[tuple[str, dict[str, Any]]] = []
    # A transfer's step first: when it ends the call, the call's final status is the last event.
    same_transfer = before is not None and len(before.transfers) == len(after.transfers)
    was = before.transfers[-1].status if before is not None and same_transfer and before.transfers else None
    if after.transfers and after.transfers[-1].status != was:
        event_id = new_id()
        bodies.append((event_id, _transfer_body(after, event_id, first_sequence + len(bodies), now)))
    if before is None or before.status is not after.status:
        event_id = new_id()
        bodies.append((event_id, _status_body(after, event_id, first_sequence + len(bodies), now)))
    return [
        CallbackEvent(
            id=event_id,
            account_id=after.account_id,
            execution_id=after.id,
            sequence=body["sequence"],
            url=url,
            body=json.dumps(body, separators=(",", ":")),
            created_at=now,
            next_attempt_at=now,
        )
        for event_id, body in bodies
    ]
