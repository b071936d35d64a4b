"""The storage port: a unit of work with one repository per aggregate.

A unit of work is an async context manager. Everything done inside it is one transaction: :meth:`UnitOfWork.commit`
makes it durable, leaving the block without committing (or with an exception) rolls it back, and nothing half-done is
ever visible. Repositories enforce :mod:`byot_core.domain.uniqueness` at write time, under concurrency (constraints or
serialised writes, never only a read before the write), raising the domain's conflict errors.

Every read and write takes the calling account where the guide scopes it; another account's object reads as absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

import attrs

from byot_core.domain.execution import Execution
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.routing import RouteCandidate
from byot_core.domain.secret import SealedSecret
from byot_core.domain.trunk import SyncState, Trunk
from byot_core.ports.accounts import AccountRepository, OutboxRepository

__all__ = [
    "AccountRepository",
    "ExecutionRepository",
    "InstanceRepository",
    "OutboxRepository",
    "PhoneNumberRepository",
    "ReadOnlyUnitOfWork",
    "Storage",
    "TrunkRepository",
    "TrunkSummary",
    "UnitOfWork",
]


@attrs.frozen
class TrunkSummary:
    """A trunk with the count of its live phone numbers, for listings."""

    trunk: Trunk
    phone_numbers_count: int


class TrunkRepository(Protocol):
    """Trunks, with their gateways and IP identifiers, as whole aggregates."""

    async def add(self, trunk: Trunk) -> None:
        """Store a new trunk, at revision 1. ``TrunkNameConflict`` if the account has a live trunk of that name."""

    async def get(self, account_id: str, trunk_id: str, *, for_update: bool = False) -> Trunk | None:
        """The account's live (undeleted) trunk with that id, or ``None``.

        ``for_update`` says the unit of work is about to change the trunk: hold it against other units of work
        changing it (a row lock) until this one ends, so that concurrent changes apply one after the other.
        """

    async def exists(self, account_id: str, trunk_id: str) -> bool:
        """Whether the account has a live trunk with that id (cheaper than :meth:`get`: no gateways or identifiers)."""

    async def get_any(self, trunk_id: str) -> Trunk | None:
        """A trunk by id whatever its account, deleted ones included (for telephony and reconcile)."""

    async def list(self, account_id: str, is_active: bool | None = None) -> Sequence[TrunkSummary]:
        """The account's live trunks, oldest first, optionally only active or inactive, with number counts."""

    async def update(self, trunk: Trunk) -> None:
        """Replace a stored trunk (gateways and identifiers whole). Deleting is an update with ``deleted=True``.

        ``trunk.revision`` is the revision it was read at; the stored one becomes the next. If another unit of work
        has changed the trunk since, nothing is written and ``StorageBusy`` is raised (the use case reads it again).

        Raises ``TrunkNameConflict`` on a taken name, and ``PhoneNumberConflict`` naming the number when the trunk
        becomes active while one of its DIDs is held by another active trunk.
        """

    async def set_sync_state(
        self, trunk_id: str, state: SyncState, *, revision: int | None = None, error: str | None = None
    ) -> bool:
        """Record whether telephony matches the stored trunk; never changes ``updated_at`` or the revision.

        With ``revision``, only if the trunk is still stored at it (the state was found for that version). ``error``
        is why a ``FAILED`` push failed (kept until the next state is recorded). Returns whether it was recorded (the
        trunk exists, at that revision when given).
        """

    async def sync_error(self, trunk_id: str) -> str | None:
        """Why the trunk's last recorded push failed (``None`` when it did not, or no reason was given)."""

    async def reserve_attempt(
        self, trunk_id: str, calls_per_second: int, now: datetime, max_wait: timedelta | None
    ) -> datetime | None:
        """Take the trunk's next outbound attempt slot: when the attempt may start (``None``: too far, nothing taken).

        The slot is :func:`~byot_core.domain.pacing.reserve_slot`'s, refused when further than ``max_wait`` from
        ``now``. In a writing unit of work; the trunk is locked first, so every process sharing the storage takes
        slots in turn and no second holds more than ``calls_per_second`` of them.
        """

    async def all_ids(self) -> Sequence[str]:
        """Every trunk id, deleted ones included (for reconcile)."""

    async def any_sealed_password(self) -> SealedSecret | None:
        """One stored sealed password, if any trunk has one: opened at start to prove the secret keys are right."""


class PhoneNumberRepository(Protocol):
    """Phone numbers (DIDs) with their inbound mapping."""

    async def add(self, number: PhoneNumber) -> None:
        """Store a new number.

        Raises ``PhoneNumberConflict`` if its DID is held by another active trunk, ``PhoneNumberOnTrunk`` if it is
        already on the same trunk.
        """

    async def add_all(self, numbers: Sequence[PhoneNumber]) -> None:
        """Store several new numbers at once, as :meth:`add` would one by one, raising the same errors.

        Adapters make it one write where they can: a trunk created with a thousand numbers must not hold a
        database's write lock a thousand times as long as one.
        """

    async def get(self, account_id: str, number_id: str) -> PhoneNumber | None:
        """The account's number with that id, soft-deleted ones included, or ``None``."""

    async def list_for_trunk(self, account_id: str, trunk_id: str) -> Sequence[PhoneNumber]:
        """The live numbers of one trunk, oldest first."""

    async def update(self, number: PhoneNumber) -> None:
        """Replace a stored number (mapping, flags, soft deletion)."""

    async def remove_all_for_trunk(self, trunk_id: str, now: datetime) -> int:
        """Soft-delete every live number of a trunk and clear their mappings; return how many were removed.

        ``now`` is recorded as the numbers' ``updated_at``.
        """

    async def routing_candidates(self, key: str) -> Sequence[RouteCandidate]:
        """Every live number with that canonical key, with its (undeleted) trunk and the trunk's allowed sources."""


class ExecutionRepository(Protocol):
    """Execution records of calls."""

    async def add(self, execution: Execution) -> None:
        """Store a new execution."""

    async def get(self, account_id: str, execution_id: str) -> Execution | None:
        """The account's execution with that id, or ``None``."""

    async def update(self, execution: Execution) -> None:
        """Replace a stored execution."""

    async def find_by_channel(self, channel_id: str) -> Execution | None:
        """The execution one of whose attempts uses that channel, or ``None``."""

    async def list_for_agent(self, account_id: str, agent_id: str, limit: int = 100) -> Sequence[Execution]:
        """An agent's executions, newest first."""

    async def live_on_trunk(self, trunk_id: str) -> int:
        """The calls in progress on the trunk: its executions not yet ended (``ended_at`` unset).

        In a writing unit of work the trunk is locked first, so that counting and then adding a call is one step
        for every process sharing the storage: no two can both see the last free channel.
        """

    async def adopt(self, from_instance: str, to_instance: str) -> Sequence[Execution]:
        """Move the executions not yet ended that ``from_instance`` follows to ``to_instance``; return them so.

        Done once per stopped instance (see :meth:`InstanceRepository.claim_expired`), so no execution is adopted
        twice.
        """


class InstanceRepository(Protocol):
    """The instances of the library sharing the storage, each holding a lease it renews while it lives."""

    async def renew(self, instance_id: str, expires_at: datetime) -> None:
        """Hold the instance's lease until ``expires_at`` (taking it again if it had been claimed)."""

    async def claim_expired(self, now: datetime) -> Sequence[str]:
        """Remove the instances whose lease ran out before ``now`` and return their ids.

        Each id is returned to one caller only, even with several processes claiming at once: the claimer alone
        then adopts that instance's calls.
        """


class ReadOnlyUnitOfWork(RuntimeError):
    """A unit of work opened with ``read_only=True`` was asked to write (a programming error, not a refusal)."""


class UnitOfWork(Protocol):
    """One transaction over the repositories."""

    @property
    def trunks(self) -> TrunkRepository:
        """The trunks, seen through this transaction."""

    @property
    def numbers(self) -> PhoneNumberRepository:
        """The phone numbers, seen through this transaction."""

    @property
    def executions(self) -> ExecutionRepository:
        """The executions, seen through this transaction."""

    @property
    def instances(self) -> InstanceRepository:
        """The library's instances and their leases, seen through this transaction."""

    @property
    def accounts(self) -> AccountRepository:
        """What the library keeps per account, seen through this transaction."""

    @property
    def outbox(self) -> OutboxRepository:
        """Status callbacks to deliver, seen through this transaction."""

    async def __aenter__(self) -> Self:
        """Begin the transaction."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End it, rolling back whatever was not committed."""

    async def commit(self) -> None:
        """Make the transaction's writes durable and visible."""

    async def rollback(self) -> None:
        """Discard the transaction's writes."""


class Storage(Protocol):
    """A source of units of work."""

    def unit_of_work(self, *, read_only: bool = False, snapshot: bool = True) -> UnitOfWork:
        """A new, not yet entered, unit of work.

        ``read_only=True`` promises that it only reads: it then sees one consistent snapshot and, where the store
        allows, neither waits for writers nor makes them wait (SQLite in WAL mode, PostgreSQL). A write in it raises
        :class:`ReadOnlyUnitOfWork`. ``snapshot=False`` (with ``read_only``) lets each read see the latest commit on
        its own, for units whose reads need not agree with each other (a routing decision's one lookup, a trunk's
        numbers and then the trunk): on PostgreSQL it saves the round trips that begin and end a transaction. Each
        read still returns one version of what it reads (a trunk with that version's gateways and identifiers).
        """
