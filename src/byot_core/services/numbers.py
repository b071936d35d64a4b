"""Use cases for a trunk's phone numbers: add, list, remove."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from byot_core.domain.errors import PhoneNumberNotFound, PhoneNumberRemoved, TrunkNotFound
from byot_core.domain.number_draft import NumberDraft
from byot_core.domain.phone_number import PhoneNumber
from byot_core.ports.storage import UnitOfWork
from byot_core.services.deps import Dependencies
from byot_core.services.transactions import in_transaction
from byot_core.services.trunks import new_number, revalidated
from byot_core.services.views import Message

__all__ = ["NumberService"]


@attrs.frozen
class NumberService:
    """Phone number use cases, scoped to the calling account."""

    deps: Dependencies

    async def add(self, account_id: str, trunk_id: str, request: NumberDraft) -> PhoneNumber:
        """Add a DID to a trunk.

        ``request``'s canonical key is worked out again here (the guide's body is read into a draft by
        :func:`byot_core.guide.read_number`). Raises ``ValidationFailed``, ``TrunkNotFound``,
        ``PhoneNumberConflict`` (held by another active trunk) or ``PhoneNumberOnTrunk``.
        """
        draft = revalidated(request, self.deps.default_region)
        number = new_number(self.deps, account_id, trunk_id, draft)

        async def store(uow: UnitOfWork) -> None:
            if not await uow.trunks.exists(account_id, trunk_id):
                raise TrunkNotFound()
            await uow.numbers.add(number)

        await in_transaction(self.deps.storage, store)
        return number

    async def list(self, account_id: str, trunk_id: str) -> Sequence[PhoneNumber]:
        """The trunk's live numbers with their agent mappings. Raises ``TrunkNotFound``."""
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            if not await uow.trunks.exists(account_id, trunk_id):
                raise TrunkNotFound()
            return await uow.numbers.list_for_trunk(account_id, trunk_id)

    async def remove(self, account_id: str, trunk_id: str, number_id: str) -> Message:
        """Remove a number from its trunk (soft delete), clearing its agent mapping.

        Raises ``TrunkNotFound``, ``PhoneNumberNotFound`` (unknown, another account's, or on another trunk) or
        ``PhoneNumberRemoved`` (already removed).
        """

        async def store(uow: UnitOfWork) -> None:
            if not await uow.trunks.exists(account_id, trunk_id):
                raise TrunkNotFound()
            number = await uow.numbers.get(account_id, number_id)
            if number is None or number.trunk_id != trunk_id:
                raise PhoneNumberNotFound()
            if number.deleted:
                raise PhoneNumberRemoved()
            now = self.deps.clock.now()
            await uow.numbers.update(attrs.evolve(number, deleted=True, agent_id=None, updated_at=now))

        await in_transaction(self.deps.storage, store)
        return Message("Phone number removed successfully")
