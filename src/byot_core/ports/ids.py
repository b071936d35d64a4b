"""The id port."""

from __future__ import annotations

from typing import Protocol

__all__ = ["IdFactory"]


class IdFactory(Protocol):
    """Makes new unique ids (ULIDs in production)."""

    def new_id(self) -> str:
        """A new id, unique and safe in URLs, dial strings and configuration files."""
