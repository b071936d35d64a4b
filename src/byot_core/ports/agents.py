"""The agent directory port: the platform's agents, as far as this library needs them."""

from __future__ import annotations

from typing import Protocol

from byot_core.domain.agent import Agent

__all__ = ["AgentDirectory"]


class AgentDirectory(Protocol):
    """Looks agents up and records what BYOT changes on them."""

    async def get(self, account_id: str, agent_id: str) -> Agent | None:
        """The account's agent with that id, or ``None`` (another account's agent reads as absent)."""

    async def set_audio_format(self, account_id: str, agent_id: str, audio_format: str) -> None:
        """Set the agent's audio format (inbound setup sets ``ulaw``)."""
