"""Exponential backoff with jitter, shared by every loop that retries (ARI reconnection, the sync loop)."""

from __future__ import annotations

import random

import attrs

__all__ = ["Backoff"]


@attrs.define
class Backoff:
    """Delays that start at ``first`` seconds and double up to ``most``, each drawn from half to all of its step.

    The jitter spreads the retries of many clients that failed together (every instance of the library after an
    Asterisk restart, say), so they do not all come back in the same instant.
    """

    first: float
    most: float
    _step: float = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if not 0 < self.first <= self.most:
            raise ValueError("backoff needs 0 < first <= most")
        self._step = self.first

    def next(self) -> float:
        """The delay to wait now; the following one is twice as long, up to ``most``."""
        delay = self._step * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security
        self._step = min(self._step * 2, self.most)
        return delay

    def reset(self) -> None:
        """Start again from ``first`` (the thing retried worked)."""
        self._step = self.first
