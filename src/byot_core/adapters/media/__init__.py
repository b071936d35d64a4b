"""Agent media protocols spoken by the relay: Twilio Media Streams translation and the playout towards Asterisk."""

from byot_core.adapters.media.playout import Playout, SendMark
from byot_core.adapters.media.twilio import (
    AgentAudio,
    AgentClear,
    AgentMark,
    AgentMessage,
    TwilioStream,
    read_agent_message,
)

__all__ = [
    "AgentAudio",
    "AgentClear",
    "AgentMark",
    "AgentMessage",
    "Playout",
    "SendMark",
    "TwilioStream",
    "read_agent_message",
]
