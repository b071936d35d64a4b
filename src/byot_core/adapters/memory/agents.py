"""An in-memory agent directory."""

from __future__ import annotations

import attrs

from byot_core.domain.agent import Agent

__all__ = ["MemoryAgentDirectory"]


class MemoryAgentDirectory:
    """Agents kept in memory; ``register`` adds one, as the platform's own agent service would."""

    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}

    def register(
        self,
        account_id: str,
        agent_id: str,
        *,
        telephony_provider: str | None = None,
        audio_format: str | None = None,
        name: str | None = None,
        record_calls: bool = False,
        status_callback_url: str | None = None,
    ) -> Agent:
        """Add or replace an agent.

        ``record_calls``: its inbound calls are recorded; ``status_callback_url``: where its calls' status events go.
        """
        agent = Agent(
            agent_id,
            account_id,
            telephony_provider,
            audio_format,
            name,
            record_calls=record_calls,
            status_callback_url=status_callback_url,
        )
        self._agents[agent_id] = agent
        return agent

    def set_telephony_provider(self, agent_id: str, provider: str | None) -> Agent:
        """Change an agent's telephony provider (what ``agent_config.telephony_provider`` sets)."""
        agent = attrs.evolve(self._agents[agent_id], telephony_provider=provider)
        self._agents[agent_id] = agent
        return agent

    async def get(self, account_id: str, agent_id: str) -> Agent | None:
        """The account's agent, or ``None``."""
        agent = self._agents.get(agent_id)
        return agent if agent is not None and agent.account_id == account_id else None

    async def create(self, agent: Agent) -> None:
        """Store a new agent."""
        self._agents[agent.id] = agent

    async def update(self, agent: Agent) -> None:
        """Replace a stored agent."""
        self._agents[agent.id] = agent

    async def set_audio_format(self, account_id: str, agent_id: str, audio_format: str) -> None:
        """Set the agent's audio format."""
        agent = await self.get(account_id, agent_id)
        if agent is not None:
            self._agents[agent_id] = attrs.evolve(agent, audio_format=audio_format)
