"""Use cases for trunks: create, list, get, update, delete, and keeping telephony in step."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection, Sequence

import attrs

from byot_core.domain.errors import AgentNotFound, TrunkNotFound, TrunkVersionMismatch
from byot_core.domain.number_draft import NumberDraft, number_draft
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.secret import SealedSecret, Secret
from byot_core.domain.trunk import SyncState, Trunk
from byot_core.domain.trunk_checks import check_changes, check_draft
from byot_core.domain.trunk_draft import TrunkChanges, TrunkDraft
from byot_core.domain.trunk_rules import apply_changes, build_trunk
from byot_core.ports.storage import TrunkSummary, UnitOfWork
from byot_core.services.deps import Dependencies
from byot_core.services.sync import TelephonySync
from byot_core.services.transactions import in_transaction
from byot_core.services.views import TrunkDeleted, TrunkDetails

__all__ = ["TrunkService", "new_inbound_password", "new_number", "revalidated"]

log = logging.getLogger(__name__)


def new_inbound_password() -> Secret:
    """A password for a carrier to authenticate with: 32 characters of letters, digits, ``-`` and ``_``."""
    return Secret(secrets.token_urlsafe(24))


def new_number(deps: Dependencies, account_id: str, trunk_id: str, draft: NumberDraft) -> PhoneNumber:
    """A new phone number record from a validated draft."""
    now = deps.clock.now()
    return PhoneNumber(
        id=deps.ids.new_id(),
        account_id=account_id,
        trunk_id=trunk_id,
        phone_number=draft.phone_number,
        canonical_key=draft.canonical_key,
        name=draft.name,
        e164_check_enabled=draft.e164_check_enabled,
        is_active=draft.is_active,
        created_at=now,
        updated_at=now,
    )


def revalidated(request: NumberDraft, default_region: str | None) -> NumberDraft:
    """A number draft checked here: its key recomputed, never trusted."""
    return number_draft(
        request.phone_number,
        name=request.name,
        e164_check_enabled=request.e164_check_enabled,
        is_active=request.is_active,
        default_region=default_region,
    )


@attrs.frozen
class TrunkService:
    """Trunk use cases, scoped to the calling account. Storage is the source of truth; telephony follows it.

    Every change is stored first, then pushed by ``telephony`` (the :class:`TelephonySync`), which records the
    outcome and retries what failed.
    """

    deps: Dependencies
    telephony: TelephonySync

    async def _check_agent(self, account_id: str, agent_id: str | None) -> None:
        """A default inbound agent must exist in the account, as a mapping's agent must (``AgentNotFound``).

        Asked before any transaction opens: the agent directory is outside storage.
        """
        if agent_id is not None and await self.deps.agents.get(account_id, agent_id) is None:
            raise AgentNotFound()

    def _seal(self, secret: Secret | None) -> SealedSecret | None:
        return self.deps.secrets.seal(secret) if secret is not None else None

    async def create(self, account_id: str, request: TrunkDraft) -> TrunkDetails:
        """Create a trunk (and any ``phone_numbers`` given with it) and configure it in telephony.

        The draft is checked here (the guide's JSON is read into one by :func:`byot_core.guide.read_trunk_create`,
        or :class:`byot_core.guide_api.GuideApi`). Raises ``ValidationFailed`` with the guide's messages,
        ``TrunkNameConflict``, ``PhoneNumberConflict``. If telephony is unreachable the trunk is still created, with
        ``sync_state`` FAILED.
        """
        check_draft(request)
        drafts = tuple(revalidated(number, self.deps.default_region) for number in request.phone_numbers)
        draft = attrs.evolve(request, phone_numbers=drafts)
        inbound = new_inbound_password() if draft.inbound_auth_username is not None else None
        trunk = build_trunk(
            draft,
            trunk_id=self.deps.ids.new_id(),
            account_id=account_id,
            new_id=self.deps.ids.new_id,
            now=self.deps.clock.now(),
            sealed_password=self._seal(draft.auth_password),
            sealed_inbound_password=self._seal(inbound),
        )
        numbers = tuple(new_number(self.deps, account_id, trunk.id, d) for d in draft.phone_numbers)
        await self._check_agent(account_id, draft.default_inbound_agent_id)

        async def store(uow: UnitOfWork) -> None:
            await uow.trunks.add(trunk)
            await uow.numbers.add_all(numbers)

        await in_transaction(self.deps.storage, store)
        stored = attrs.evolve(trunk, revision=1)
        synced = await self.telephony.sync(stored, password=draft.auth_password)
        # The answer is the trunk as this request stored it; only its sync state comes from the push (which also
        # pushes a newer version, if one was stored meanwhile).
        if synced.revision != stored.revision:
            synced = attrs.evolve(stored, sync_state=synced.sync_state)
        error = await self._sync_error(synced)
        return TrunkDetails(synced, numbers, inbound, error, self.deps.telephony.gateway_status(synced))

    async def list(self, account_id: str, is_active: bool | None = None) -> Sequence[TrunkSummary]:
        """The account's trunks with their number counts, optionally filtered by ``is_active``."""
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            return await uow.trunks.list(account_id, is_active)

    async def get(self, account_id: str, trunk_id: str) -> TrunkDetails:
        """A trunk with its gateways, identifiers and live numbers. Raises ``TrunkNotFound``.

        Read without a snapshot (on PostgreSQL, no transaction to begin and end: half the round trips): the numbers
        first, then the trunk. A trunk found live then was live when its numbers were read (a deleted trunk never
        comes back, and its numbers go with it), so the answer is never a trunk with numbers it no longer has; at
        most a number added in between is not listed yet.
        """
        async with self.deps.storage.unit_of_work(read_only=True, snapshot=False) as uow:
            numbers = await uow.numbers.list_for_trunk(account_id, trunk_id)
            trunk = await uow.trunks.get(account_id, trunk_id)
            failed = trunk is not None and trunk.sync_state is SyncState.FAILED
            error = await uow.trunks.sync_error(trunk_id) if failed else None
        if trunk is None:
            raise TrunkNotFound()
        return TrunkDetails(trunk, tuple(numbers), None, error, self.deps.telephony.gateway_status(trunk))

    async def _sync_error(self, trunk: Trunk) -> str | None:
        """Why the trunk's push failed, read once recorded (for a failed one only: the usual case reads nothing)."""
        if trunk.sync_state is not SyncState.FAILED:
            return None
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            return await uow.trunks.sync_error(trunk.id)

    async def update(
        self,
        account_id: str,
        trunk_id: str,
        request: TrunkChanges,
        *,
        if_revision: int | Collection[int] | None = None,
    ) -> TrunkDetails:
        """Partially update a trunk (gateways and identifiers replaced whole) and bring telephony in step.

        ``request`` says what changes (the guide's update body is read into one by
        :func:`byot_core.guide.read_trunk_update`, which tells a field sent as ``null`` from one not sent).
        Deactivating removes the trunk's telephony configuration; reactivating is refused with
        ``PhoneNumberConflict`` naming the number when one of its DIDs now lives on another active trunk.

        Concurrent updates of one trunk apply one after the other, each to the trunk as the one before left it, and
        each answers the trunk as it left it. With ``if_revision``, the update is made only if the trunk is stored at
        that revision (``TrunkVersionMismatch`` otherwise): a client that read revision 4 cannot undo unseen a change
        made since. A collection of revisions accepts any of them.
        """
        check_changes(request)
        changes = request
        sealed = None if not isinstance(changes.auth_password, Secret) else self._seal(changes.auth_password)
        inbound = new_inbound_password() if isinstance(changes.inbound_auth_username, str) else None
        sealed_inbound = self._seal(inbound)
        if isinstance(changes.default_inbound_agent_id, str):
            await self._check_agent(account_id, changes.default_inbound_agent_id)

        async def store(uow: UnitOfWork) -> tuple[Trunk, Sequence[PhoneNumber]]:
            trunk = await self._for_change(uow, account_id, trunk_id, if_revision)
            updated = apply_changes(
                trunk,
                changes,
                new_id=self.deps.ids.new_id,
                now=self.deps.clock.now(),
                sealed_password=sealed,
                sealed_inbound_password=sealed_inbound,
            )
            # Pending until telephony confirms: a crash before the sync must not leave the change marked applied. A
            # change telephony does not see leaves the trunk as in step (or not) as it was.
            state = trunk.sync_state if updated.configures_like(trunk) else SyncState.PENDING
            updated = attrs.evolve(updated, sync_state=state)
            await uow.trunks.update(updated)
            numbers = await uow.numbers.list_for_trunk(account_id, trunk_id)
            return attrs.evolve(updated, revision=trunk.revision + 1), numbers

        updated, numbers = await in_transaction(self.deps.storage, store)
        if updated.sync_state is SyncState.PENDING:
            # The trunk as this update left it, even if another update has been stored since (its push is the
            # newest). A change telephony does not see (a name, a limit) is not pushed, and keeps its sync state.
            password = changes.auth_password if isinstance(changes.auth_password, Secret) else None
            synced = await self.telephony.sync(updated, password=password)
            updated = attrs.evolve(updated, sync_state=synced.sync_state)
        error = await self._sync_error(updated)
        return TrunkDetails(updated, tuple(numbers), inbound, error, self.deps.telephony.gateway_status(updated))

    async def delete(
        self, account_id: str, trunk_id: str, *, if_revision: int | Collection[int] | None = None
    ) -> TrunkDeleted:
        """Delete a trunk and everything that hangs on it.

        Gateways and identifiers are removed, numbers soft-deleted with their mappings cleared (one transaction),
        then the telephony configuration is removed. Raises ``TrunkNotFound``, and ``TrunkVersionMismatch`` when
        ``if_revision`` is given and the trunk is stored at another revision.
        """

        async def store(uow: UnitOfWork) -> tuple[Trunk, int]:
            trunk = await self._for_change(uow, account_id, trunk_id, if_revision)
            now = self.deps.clock.now()
            removed = await uow.numbers.remove_all_for_trunk(trunk_id, now)
            deleted = attrs.evolve(
                trunk, deleted=True, gateways=(), ip_identifiers=(), updated_at=now, sync_state=SyncState.PENDING
            )
            await uow.trunks.update(deleted)
            return attrs.evolve(deleted, revision=trunk.revision + 1), removed

        deleted, removed = await in_transaction(self.deps.storage, store)
        await self.telephony.sync(deleted)
        return TrunkDeleted(removed)

    @staticmethod
    async def _for_change(
        uow: UnitOfWork, account_id: str, trunk_id: str, if_revision: int | Collection[int] | None
    ) -> Trunk:
        """The trunk about to be changed, held against other changes until the unit of work ends."""
        trunk = await uow.trunks.get(account_id, trunk_id, for_update=True)
        if trunk is None:
            raise TrunkNotFound()
        if if_revision is not None:
            allowed = (if_revision,) if isinstance(if_revision, int) else if_revision
            if trunk.revision not in allowed:
                raise TrunkVersionMismatch()
        return trunk

    async def check_secrets(self) -> None:
        """Open one stored password, so that a wrong secret key is an error at start rather than on a later call."""
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            sealed = await uow.trunks.any_sealed_password()
        if sealed is not None:
            self.deps.secrets.open(sealed)
