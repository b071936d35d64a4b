"""The call media port: connect a live call's audio, both ways, to its agent's media WebSocket."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from byot_core.domain.media import MediaCall, MediaTarget

__all__ = ["CallMedia"]


@runtime_checkable
class CallMedia(Protocol):
    """A media layer that can carry a call's audio to an agent and back (Asterisk, or a fake).

    How the connection ends is reported on the telephony's event stream: ``AgentDisconnected`` when the agent hangs
    up, ``AgentMediaFailed`` when its connection fails mid-call. When the caller's channel ends, the media layer
    closes the agent's side itself and leaves nothing behind.
    """

    async def connect_media(self, call: MediaCall, target: MediaTarget, *, within: float) -> None:
        """Connect the live channel ``call.channel_id`` to ``target``; return once audio can flow both ways.

        Raises ``MediaUnavailable`` (naming the agent connection) when that cannot be done within ``within``
        seconds; nothing is then left in the media layer, and the caller's channel is untouched.
        """
