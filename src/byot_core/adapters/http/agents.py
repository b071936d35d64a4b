"""The reference server's agents (it plays the platform's part): where they are kept, and their JSON in and out."""

from __future__ import annotations

from typing import Any, Protocol

from byot_core.domain.agent import SIP_TRUNK_PROVIDER, Agent
from byot_core.domain.callbacks import callback_url_problem
from byot_core.domain.config_safety import text_problem
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.media import check_media_url
from byot_core.domain.missing import MISSING
from byot_core.guide.fields import FieldReader, as_mapping

__all__ = ["AgentRegistry", "agent_json", "read_agent_config"]

_PROVIDERS = frozenset({SIP_TRUNK_PROVIDER, "twilio", "plivo", "exotel", "vonage", "telnyx"})
_CONFIG_FIELDS = frozenset({"agent_name", "telephony_provider", "media_url", "record_calls", "status_callback_url"})


class AgentRegistry(Protocol):
    """Where the reference server keeps its agents (it plays the platform's part)."""

    async def get(self, account_id: str, agent_id: str) -> Agent | None:
        """The account's agent, or ``None``."""

    async def create(self, agent: Agent) -> None:
        """Store a new agent."""

    async def update(self, agent: Agent) -> None:
        """Replace a stored agent."""


def agent_json(agent: Agent) -> dict[str, Any]:
    """The guide's agent object."""
    config: dict[str, Any] = {"telephony_provider": agent.telephony_provider, "audio_format": agent.audio_format}
    if agent.media_url is not None:
        config["media_url"] = agent.media_url  # beyond the guide: shown only when set
    if agent.record_calls:
        config["record_calls"] = True  # beyond the guide: shown only when set
    if agent.status_callback_url is not None:
        config["status_callback_url"] = agent.status_callback_url  # beyond the guide: shown only when set
    return {"id": agent.id, "user_id": agent.account_id, "agent_name": agent.name, "agent_config": config}


def _media_url_problem(value: str) -> str | None:
    """Why a per-agent media URL cannot be used, or ``None``."""
    if len(value) > 2048:
        return "must be at most 2048 characters"
    try:
        check_media_url(value)
    except ValidationFailed as error:
        return error.message.removeprefix("media URL ")
    return None


def read_agent_config(payload: object, *, creating: bool) -> dict[str, Any]:
    """``{"agent_config": {"agent_name": …, "telephony_provider": …, "media_url": …}}``, checked like every other body.

    ``media_url`` (beyond the guide) is the agent's own media WebSocket; ``null`` removes it. ``record_calls`` (beyond
    the guide) records the agent's inbound calls; ``status_callback_url`` (beyond the guide) is sent its calls' status
    events (``null`` stops them).
    """
    problems: list[Problem] = []
    fields = FieldReader(as_mapping(payload), "", problems)
    fields.refuse_unknown(frozenset({"agent_config"}))
    config = fields.object_reader("agent_config") if fields.present("agent_config") else None
    if config is None and not problems:
        fields.fail("agent_config", "agent_config_required", "agent_config is required")
    values: dict[str, Any] = {}
    if config is not None:
        name = config.text("agent_name", check=text_problem)
        provider = config.text("telephony_provider")
        media_url = config.text("media_url", check=_media_url_problem)
        record_calls = config.flag("record_calls")
        callback = config.text("status_callback_url")
        problem = (
            callback_url_problem(config.path("status_callback_url"), callback) if isinstance(callback, str) else None
        )
        if problem is not None:
            problems.append(problem)
        elif callback is not MISSING:
            values["status_callback_url"] = callback
        config.refuse_unknown(_CONFIG_FIELDS)
        if record_calls is not MISSING:
            values["record_calls"] = record_calls
        if media_url is not MISSING:
            values["media_url"] = media_url
        if name is not MISSING:
            values["name"] = name
        if isinstance(provider, str) and provider not in _PROVIDERS:
            config.invalid("telephony_provider", f"must be one of {', '.join(sorted(_PROVIDERS))}")
        elif provider is not MISSING:
            values["telephony_provider"] = provider
        if creating and not values.get("name"):
            config.fail("agent_name", "agent_name_required", "agent_config.agent_name is required")
    if problems:
        raise ValidationFailed(problems)
    return values
