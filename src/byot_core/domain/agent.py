"""What the library needs to know of an agent, which lives in the platform's own agent directory."""

from __future__ import annotations

import attrs

__all__ = ["SIP_TRUNK_PROVIDER", "ULAW", "Agent"]

#: The telephony provider an agent must use to place calls through a customer's trunk.
SIP_TRUNK_PROVIDER = "sip-trunk"
#: The audio format Asterisk's side of an inbound SIP-trunk call needs.
ULAW = "ulaw"


@attrs.frozen
class Agent:
    """An AI agent as seen by this library: its owner, telephony provider, audio format and media URL.

    ``media_url``, when set, is the agent's own media WebSocket: it takes the place of the deployment's template.
    ``record_calls`` records the agent's inbound calls (an outbound call is recorded when placed with ``record``).
    ``status_callback_url`` is sent the status events of the agent's calls (an outbound call placed with its own
    ``status_callback_url`` sends them there instead).
    """

    id: str
    account_id: str
    telephony_provider: str | None = None
    audio_format: str | None = None
    name: str | None = None
    media_url: str | None = None
    record_calls: bool = False
    status_callback_url: str | None = None
