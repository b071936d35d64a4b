"""Agents and API keys in SQL, for the reference server (which plays the platform's part)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from byot_core.adapters.sql.database import Database
from byot_core.adapters.sql.schema import agents, api_keys
from byot_core.domain.agent import Agent
from byot_core.ports.clock import Clock

__all__ = ["SqlAgentDirectory", "SqlApiKeys"]


def _agent(row: sa.RowMapping) -> Agent:
    return Agent(
        row["id"],
        row["account_id"],
        row["telephony_provider"],
        row["audio_format"],
        row["name"],
        row["media_url"],
        bool(row["record_calls"]),
        row["status_callback_url"],
    )


class SqlAgentDirectory:
    """The agent directory port, and the writes the reference server makes, over the ``byot_agents`` table."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def get(self, account_id: str, agent_id: str) -> Agent | None:
        """The account's agent, or ``None``."""
        query = sa.select(agents).where(agents.c.id == agent_id, agents.c.account_id == account_id)
        row = await self._database.run(lambda conn: conn.execute(query).mappings().first())
        return _agent(row) if row is not None else None

    async def create(self, agent: Agent) -> None:
        """Store a new agent, stamped with the time it was created."""
        values = {
            "id": agent.id,
            "account_id": agent.account_id,
            "name": agent.name,
            "telephony_provider": agent.telephony_provider,
            "audio_format": agent.audio_format,
            "media_url": agent.media_url,
            "record_calls": agent.record_calls,
            "status_callback_url": agent.status_callback_url,
            "created_at": self._clock.now(),
        }
        await self._database.run(lambda conn: conn.execute(sa.insert(agents).values(**values)))

    async def update(self, agent: Agent) -> None:
        """Replace a stored agent's fields."""
        statement = (
            sa.update(agents)
            .where(agents.c.id == agent.id, agents.c.account_id == agent.account_id)
            .values(
                name=agent.name,
                telephony_provider=agent.telephony_provider,
                audio_format=agent.audio_format,
                media_url=agent.media_url,
                record_calls=agent.record_calls,
                status_callback_url=agent.status_callback_url,
            )
        )
        await self._database.run(lambda conn: conn.execute(statement))

    async def set_audio_format(self, account_id: str, agent_id: str, audio_format: str) -> None:
        """Set the agent's audio format."""
        statement = (
            sa.update(agents)
            .where(agents.c.id == agent_id, agents.c.account_id == account_id)
            .values(audio_format=audio_format)
        )
        await self._database.run(lambda conn: conn.execute(statement))


class SqlApiKeys:
    """Hashes of API keys and the accounts they open, over the ``byot_api_keys`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def all(self) -> dict[str, str]:
        """Every stored key hash and its account."""

        def read(conn: Connection) -> dict[str, str]:
            return {row.key_hash: row.account_id for row in conn.execute(sa.select(api_keys))}

        return await self._database.run(read)

    async def add(self, key_hash: str, account_id: str, now: datetime) -> None:
        """Store a key's hash."""
        values = {"key_hash": key_hash, "account_id": account_id, "created_at": now}
        await self._database.run(lambda conn: conn.execute(sa.insert(api_keys).values(**values)))
