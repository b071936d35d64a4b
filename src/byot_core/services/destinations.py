"""The toll-fraud guard's use cases.

Read and set an account's outbound destination policy, and refuse a call or a transfer outside it before anything is
dialled (the refusal counted).
"""

from __future__ import annotations

import logging

import attrs

from byot_core.domain.destinations import DestinationNotAllowed, DestinationPolicy, destination_of, destination_policy
from byot_core.domain.trunk import Trunk
from byot_core.ports.storage import UnitOfWork
from byot_core.services.deps import Dependencies

__all__ = ["AccountDestinations", "DestinationService", "counted", "destination_refusal", "logged"]

log = logging.getLogger(__name__)


@attrs.frozen
class AccountDestinations:
    """An account's destination policy and how many calls and transfers it refused."""

    policy: DestinationPolicy
    refused_calls: int


async def destination_refusal(
    uow: UnitOfWork, account_id: str, trunk: Trunk | None, number: str, key: str
) -> DestinationNotAllowed | None:
    """Why ``number`` (as written; ``key`` its canonical key) may not be dialled through the trunk, or ``None``.

    The trunk's policy completed with the account's decides.
    """
    account = await uow.accounts.destinations(account_id)
    policy = (trunk.destinations if trunk is not None else DestinationPolicy()).over(account)
    return policy.refusal(number, destination_of(key))


def logged(account_id: str, trunk: Trunk | None, error: DestinationNotAllowed) -> DestinationNotAllowed:
    """Say in the log that the guard refused a call; return the error, for the caller to raise."""
    log.warning("account %s, trunk %s: %s", account_id, trunk.id if trunk else "-", error.message)
    return error


async def counted(
    deps: Dependencies, account_id: str, trunk: Trunk | None, error: DestinationNotAllowed
) -> DestinationNotAllowed:
    """Count and log a refusal (the operator's trace of a fraud attempt); return the error, for the caller to raise.

    Counted in a unit of work of its own, committed: the refused request writes nothing else.
    """
    logged(account_id, trunk, error)
    async with deps.storage.unit_of_work() as uow:
        await uow.accounts.count_refusal(account_id)
        await uow.commit()
    return error


@attrs.frozen
class DestinationService:
    """An account's outbound destination policy (beyond the guide)."""

    deps: Dependencies

    async def get(self, account_id: str) -> AccountDestinations:
        """The account's policy and its count of refused calls.

        Until the account sets one, the default: every country, no premium-rate, shared-cost or satellite numbers.
        """
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            return AccountDestinations(
                await uow.accounts.destinations(account_id), await uow.accounts.refused_calls(account_id)
            )

    async def set(self, account_id: str, policy: DestinationPolicy) -> AccountDestinations:
        """Replace the account's policy; a flag left ``None`` is no.

        Raises ``ValidationFailed`` for an unknown country code.
        """
        countries = destination_policy(policy.countries, path="").countries
        checked = attrs.evolve(policy, countries=countries).for_account()
        async with self.deps.storage.unit_of_work() as uow:
            await uow.accounts.set_destinations(account_id, checked)
            refused = await uow.accounts.refused_calls(account_id)
            await uow.commit()
        return AccountDestinations(checked, refused)
