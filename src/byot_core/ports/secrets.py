"""The secrets port: seal passwords before they are stored, open them only to configure telephony."""

from __future__ import annotations

from typing import Protocol

from byot_core.domain.secret import SealedSecret, Secret

__all__ = ["SecretBox"]


class SecretBox(Protocol):
    """Seals and opens secrets. Neither method may log, or put the secret in an error message."""

    def seal(self, secret: Secret) -> SealedSecret:
        """Return a sealed form that is safe to store."""

    def open(self, sealed: SealedSecret) -> Secret:
        """Return the secret. Raises ``ByotError`` (code ``secret_unreadable``) if it cannot be opened."""
