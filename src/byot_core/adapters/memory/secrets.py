"""An in-memory secret box: sealed secrets are opaque references to values held only in this process."""

from __future__ import annotations

import secrets as _random

from byot_core.domain.errors import ByotError
from byot_core.domain.secret import SealedSecret, Secret

__all__ = ["MemorySecretBox"]


class MemorySecretBox:
    """Keeps plain secrets in a private dictionary and hands out random tokens; for tests and demos.

    Nothing sealed here survives the process, which is the point: storage never holds the password itself.
    """

    def __init__(self) -> None:
        self._vault: dict[str, Secret] = {}

    def seal(self, secret: Secret) -> SealedSecret:
        """A random reference to the secret."""
        token = "mem:" + _random.token_urlsafe(16)
        self._vault[token] = secret
        return SealedSecret(token)

    def open(self, sealed: SealedSecret) -> Secret:
        """The secret behind a reference this box made."""
        secret = self._vault.get(sealed.token)
        if secret is None:
            raise ByotError("A stored secret cannot be opened with this secret box", code="secret_unreadable")
        return secret
