"""The library's one error hierarchy.

Every error carries a stable machine ``code`` and a human ``message``; where the guide fixes a message, the message is
the guide's, to the letter. Each error also has a ``kind`` (validation, not found, conflict, refused, unavailable) so
that a driving adapter can choose a status without ever matching on message text.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

__all__ = [
    "MAX_ID_LENGTH",
    "AgentNotFound",
    "ByotError",
    "CallRefused",
    "CallsPaced",
    "CapacityExceeded",
    "ChannelsFull",
    "Conflict",
    "ErrorKind",
    "ExecutionNotFound",
    "MediaUnavailable",
    "NotFound",
    "NotMappedToAgent",
    "PhoneNumberConflict",
    "PhoneNumberNotFound",
    "PhoneNumberOnTrunk",
    "PhoneNumberRemoved",
    "Problem",
    "StorageBusy",
    "TelephonyUnavailable",
    "TrunkNameConflict",
    "TrunkNotFound",
    "TrunkVersionMismatch",
    "ValidationFailed",
    "plausible_id",
]


class ErrorKind(enum.Enum):
    """What sort of failure an error is; adapters map this to their own status codes."""

    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"
    #: Refused for now, for lack of capacity: the same request may succeed shortly.
    BUSY = "busy"
    #: Refused because the object changed since the version the caller named: read it again, then decide.
    STALE = "stale"
    #: Refused by a policy the account set (such as where its calls may go): asking again changes nothing.
    FORBIDDEN = "forbidden"


class ByotError(Exception):
    """Root of every error the library raises on purpose.

    ``code`` is stable and meant for machines; ``message`` is for people. Messages never contain secrets.
    """

    kind: ErrorKind = ErrorKind.REFUSED
    code: str = "byot_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


@attrs.frozen
class Problem:
    """One thing wrong with an input: where (a dotted path such as ``gateways[0].port``), a code, and a message."""

    path: str
    code: str
    message: str


class ValidationFailed(ByotError):
    """The input was refused; ``problems`` lists every problem found, the first one gives the message and code."""

    kind = ErrorKind.VALIDATION
    code = "validation_error"

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ValidationFailed needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.problems[0].message, code=self.problems[0].code)

    @classmethod
    def single(cls, path: str, code: str, message: str) -> ValidationFailed:
        """Build the error for a single problem."""
        return cls([Problem(path, code, message)])


class NotFound(ByotError):
    """The object does not exist, or belongs to another account (the two are indistinguishable on purpose)."""

    kind = ErrorKind.NOT_FOUND
    code = "not_found"


class TrunkNotFound(NotFound):
    """No trunk with that id in the calling account."""

    code = "trunk_not_found"

    def __init__(self) -> None:
        super().__init__("SIP trunk not found")


class PhoneNumberNotFound(NotFound):
    """A phone number id that is unknown, or another account's (the guide's message)."""

    code = "phone_number_not_found"

    def __init__(self) -> None:
        super().__init__("Phone number doesn't exist.")


class PhoneNumberRemoved(NotFound):
    """A phone number that was removed from its trunk, or whose trunk was deleted (the guide's message)."""

    code = "sip_trunk_number_not_found"

    def __init__(self) -> None:
        super().__init__("SIP trunk phone number not found in database")


class AgentNotFound(NotFound):
    """No agent with that id in the calling account."""

    code = "agent_not_found"

    def __init__(self) -> None:
        super().__init__("Agent not found")


class ExecutionNotFound(NotFound):
    """No execution with that id in the calling account."""

    code = "execution_not_found"

    def __init__(self) -> None:
        super().__init__("Execution not found")


class Conflict(ByotError):
    """The request contradicts a uniqueness rule or the current state."""

    kind = ErrorKind.CONFLICT
    code = "conflict"


class PhoneNumberConflict(Conflict):
    """The DID already lives on another active trunk (the guide's message).

    ``phone_number`` names the number when the conflict concerns one of several (reactivating a trunk).
    """

    code = "phone_number_conflict"

    def __init__(self, phone_number: str | None = None) -> None:
        self.phone_number = phone_number
        if phone_number is None:
            super().__init__("Phone number already exists on another active trunk")
        else:
            super().__init__(f"Phone number {phone_number} already exists on another active trunk")


class PhoneNumberOnTrunk(Conflict):
    """The DID is already on this very trunk."""

    code = "phone_number_exists_on_trunk"

    def __init__(self) -> None:
        super().__init__("Phone number already exists on this trunk")


class NotMappedToAgent(Conflict):
    """An unlink named an agent that the number is not mapped to."""

    code = "phone_number_not_mapped_to_agent"

    def __init__(self) -> None:
        super().__init__("Phone number is not mapped to this agent")


class TrunkNameConflict(Conflict):
    """The account already has a trunk of that name."""

    code = "trunk_name_conflict"

    def __init__(self) -> None:
        super().__init__("A trunk with this name already exists")


class TrunkVersionMismatch(ByotError):
    """The trunk's stored revision is not the one the change was made against: someone changed it since."""

    kind = ErrorKind.STALE
    code = "trunk_version_mismatch"

    def __init__(self) -> None:
        super().__init__("The trunk has changed since that version was read")


class CallRefused(ByotError):
    """An outbound call could not be placed for a stated reason (agent, number or trunk not usable)."""

    kind = ErrorKind.REFUSED
    code = "call_refused"


class CapacityExceeded(ByotError):
    """The trunk has no room for the call now: nothing was dialled and nothing recorded; try again shortly.

    ``retry_after`` is the seconds a client should wait before trying again.
    """

    kind = ErrorKind.BUSY
    code = "trunk_capacity_exceeded"
    retry_after = 1


class ChannelsFull(CapacityExceeded):
    """Every channel of the trunk carries a call."""

    code = "trunk_channels_full"

    def __init__(self, channels: int) -> None:
        super().__init__(f"All {channels} channels of the trunk are in use; try again shortly")


class CallsPaced(CapacityExceeded):
    """The trunk's attempts are booked further ahead than a new call may wait (its calls per second)."""

    code = "trunk_calls_per_second_exceeded"

    def __init__(self, calls_per_second: int, wait_seconds: int) -> None:
        super().__init__(
            f"The trunk's {calls_per_second} calls per second are taken for the next {wait_seconds} seconds; "
            "try again shortly"
        )


class StorageBusy(ByotError):
    """The database refused a unit of work for a conflicting one, even after the use case tried it again.

    A deadlock or a serialization failure (PostgreSQL), a write lock held past the timeout (SQLite): nothing of the
    unit of work was written, and the request may be sent again.
    """

    kind = ErrorKind.UNAVAILABLE
    code = "storage_busy"

    def __init__(self) -> None:
        super().__init__("The database is busy with conflicting changes; try again")


class TelephonyUnavailable(ByotError):
    """The telephony layer could not be reached or refused the request."""

    kind = ErrorKind.UNAVAILABLE
    code = "telephony_unavailable"


class MediaUnavailable(ByotError):
    """The agent's media could not be connected: its WebSocket refused or timed out, or the media channel failed.

    The message names the agent connection (scheme, host and path), never a credential.
    """

    kind = ErrorKind.UNAVAILABLE
    code = "agent_media_unavailable"


#: The longest id the library ever makes or accepts (ULIDs are 26 characters; agent ids are the platform's).
MAX_ID_LENGTH = 128


def plausible_id(text: str) -> bool:
    """Whether ``text`` could be an id at all: 1 to 128 printable ASCII characters, no space.

    Anything else names nothing, so it is answered as not found without asking storage (PostgreSQL, for one,
    refuses a NUL in a query parameter outright).
    """
    return 0 < len(text) <= MAX_ID_LENGTH and text.isascii() and text.isprintable() and " " not in text
