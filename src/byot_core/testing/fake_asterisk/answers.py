"""What every part of the fake shares: Asterisk's error answers and its timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["AriError", "now"]


class AriError(Exception):
    """An answer other than success, as Asterisk gives it: an HTTP status and its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    """A timestamp as ARI writes them (``2026-11-27T11:55:58.789+0000``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
