"""The marker of a field that was not sent at all, as opposed to one sent as ``null``.

A partial update distinguishes the two: ``"description": null`` clears the description, no ``description`` keeps it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MISSING", "Missing"]


class Missing:
    """The type of :data:`MISSING`, the marker of a field that was not sent at all."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:  # noqa: D102 - a singleton: there is one MISSING
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing()
