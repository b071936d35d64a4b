"""The recording store port: where the platform keeps calls' recordings once telephony has made them."""

from __future__ import annotations

from typing import Protocol

__all__ = ["RecordingStore"]


class RecordingStore(Protocol):
    """Keeps each call's recording (a WAV file's bytes), by execution id.

    Storing is all or nothing: a recording is either there whole, or not at all. Storing again replaces it.
    """

    async def put(self, execution_id: str, data: bytes) -> None:
        """Keep the call's recording; raises ``OSError`` when it cannot be kept."""

    async def get(self, execution_id: str) -> bytes | None:
        """The call's recording, or ``None``."""
