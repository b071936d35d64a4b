"""What the SQL storage keeps per account: one row, made when the account first sets a policy or has a call refused."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from byot_core.adapters.sql.database import Session
from byot_core.adapters.sql.schema import accounts
from byot_core.domain.callbacks import SigningKeys
from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.secret import SealedSecret

__all__ = ["SqlAccountRepository", "countries_column", "countries_from_column"]

_DEFAULTS: dict[str, Any] = {
    "outbound_countries": "",
    "outbound_premium_rate": False,
    "outbound_shared_cost": False,
    "outbound_satellite": False,
    "refused_calls": 0,
    "callback_secret": None,
    "previous_callback_secret": None,
    "callback_secret_rotated_at": None,
}


def countries_column(countries: tuple[str, ...]) -> str:
    """Country codes as stored: comma-separated (codes never hold a comma)."""
    return ",".join(countries)


def countries_from_column(text: str) -> tuple[str, ...]:
    """Country codes as read back."""
    return tuple(text.split(",")) if text else ()


def _upsert(conn: Connection, account_id: str, values: dict[str, Any], on_conflict: dict[str, Any]) -> None:
    # One statement either way: two first writes for an account at once cannot both insert.
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(accounts)
    statement = insert.values(account_id=account_id, **{**_DEFAULTS, **values})
    conn.execute(statement.on_conflict_do_update(index_elements=[accounts.c.account_id], set_=on_conflict))


def _read(conn: Connection, account_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(accounts).where(accounts.c.account_id == account_id)).mappings().first()
    return dict(row) if row is not None else {"account_id": account_id, **_DEFAULTS}


def _policy_values(policy: DestinationPolicy) -> dict[str, Any]:
    held = policy.for_account()  # as an account holds it: a flag left None is no
    return {
        "outbound_countries": countries_column(held.countries),
        "outbound_premium_rate": held.premium_rate,
        "outbound_shared_cost": held.shared_cost,
        "outbound_satellite": held.satellite,
    }


def _set(conn: Connection, account_id: str, policy: DestinationPolicy) -> None:
    values = _policy_values(policy)
    _upsert(conn, account_id, values, values)


def _count(conn: Connection, account_id: str) -> None:
    _upsert(conn, account_id, {"refused_calls": 1}, {"refused_calls": accounts.c.refused_calls + 1})


class SqlAccountRepository:
    """Accounts' destination policies and refusal counts."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def destinations(self, account_id: str) -> DestinationPolicy:
        """The account's policy, or the default."""
        row = await self._session.run(_read, account_id, write=False)
        return DestinationPolicy(
            countries=countries_from_column(row["outbound_countries"]),
            premium_rate=row["outbound_premium_rate"],
            shared_cost=row["outbound_shared_cost"],
            satellite=row["outbound_satellite"],
        )

    async def set_destinations(self, account_id: str, policy: DestinationPolicy) -> None:
        """Replace the account's policy, keeping its count."""
        await self._session.run(_set, account_id, policy)

    async def count_refusal(self, account_id: str) -> None:
        """One more refused call."""
        await self._session.run(_count, account_id)

    async def refused_calls(self, account_id: str) -> int:
        """The account's refused calls."""
        row = await self._session.run(_read, account_id, write=False)
        return int(row["refused_calls"])

    async def callback_keys(self, account_id: str) -> SigningKeys | None:
        """The account's sealed callback secrets."""
        row = await self._session.run(_read, account_id, write=False)
        if row["callback_secret"] is None:
            return None
        previous = row["previous_callback_secret"]
        return SigningKeys(
            SealedSecret(row["callback_secret"]),
            SealedSecret(previous) if previous is not None else None,
            row["callback_secret_rotated_at"],
        )

    async def set_callback_keys(self, account_id: str, keys: SigningKeys) -> None:
        """Replace them (the row made if needed)."""
        values = {
            "callback_secret": keys.current.token,
            "previous_callback_secret": keys.previous.token if keys.previous is not None else None,
            "callback_secret_rotated_at": keys.rotated_at,
        }
        await self._session.run(_upsert, account_id, values, values)
