"""Adapters to the real world's time and ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ulid

__all__ = ["FrozenClock", "SystemClock", "UlidFactory"]


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to, for tests and reproducible demos."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 1, 15, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The current (frozen) time."""
        return self.current

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.current += timedelta(seconds=seconds)


class UlidFactory:
    """ULIDs: sortable by creation time, 26 characters of Crockford base32 (safe in URLs and dial strings)."""

    def new_id(self) -> str:
        """A new ULID."""
        return str(ulid.ULID())
