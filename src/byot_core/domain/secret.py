"""Values that must never be shown: a plain secret and its sealed (encrypted) form."""

from __future__ import annotations

import attrs

__all__ = ["SealedSecret", "Secret"]

_HIDDEN = "'********'"


@attrs.frozen(repr=False)
class Secret:
    """A plain secret (a SIP password). Its ``repr`` and ``str`` hide the value; ``reveal()`` gives it on purpose."""

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """Return the plain value, for the one place that must hand it to a carrier."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_HIDDEN})"

    __str__ = __repr__


@attrs.frozen(repr=False)
class SealedSecret:
    """A secret as the secrets port sealed it (ciphertext or a reference); only that port can open it."""

    token: str

    def __repr__(self) -> str:
        return f"SealedSecret({_HIDDEN})"

    __str__ = __repr__
