"""Secrets sealed with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``), with key rotation.

Keys come from the ``BYOT_SECRET_KEYS`` environment variable (comma-separated, newest first) or are passed in. The
first key seals; every key opens, so rotating is: put a new key first, keep the old ones, call :meth:`rotate` on each
sealed value (or let updates re-seal), then drop the old keys. Make a key with :func:`new_key`.

A missing or malformed key is refused when the box is made (at start), never later when a call needs a password.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from byot_core.domain.errors import ByotError, ErrorKind
from byot_core.domain.secret import SealedSecret, Secret

__all__ = ["ENV_VAR", "FernetSecretBox", "SecretsNotConfigured", "new_key"]

#: The environment variable holding the keys.
ENV_VAR = "BYOT_SECRET_KEYS"
_PREFIX = "fernet:"


class SecretsNotConfigured(ByotError):
    """No usable key: the secret box cannot be made."""

    kind = ErrorKind.UNAVAILABLE
    code = "secrets_not_configured"


def new_key() -> str:
    """A new random key, in the form ``BYOT_SECRET_KEYS`` takes."""
    return Fernet.generate_key().decode("ascii")


class FernetSecretBox:
    """Seals secrets with the first key, opens them with any key."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretsNotConfigured(f"No secret key is configured: set {ENV_VAR} (make one with `byot keygen`)")
        fernets = []
        for index, key in enumerate(keys):
            try:
                fernets.append(Fernet(key.strip().encode("ascii")))
            except (ValueError, TypeError, UnicodeError):
                # Never echo the key itself: say which one is wrong.
                raise SecretsNotConfigured(
                    f"Secret key number {index + 1} in {ENV_VAR} is not a valid Fernet key (32 url-safe base64 bytes)"
                ) from None
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FernetSecretBox:
        """A box with the keys of ``BYOT_SECRET_KEYS``."""
        raw = (environ if environ is not None else os.environ).get(ENV_VAR, "")
        return cls([key for key in raw.split(",") if key.strip()])

    def __repr__(self) -> str:
        return "FernetSecretBox(keys=<hidden>)"

    def seal(self, secret: Secret) -> SealedSecret:
        """Encrypt with the first key."""
        return SealedSecret(_PREFIX + self._fernet.encrypt(secret.reveal().encode("utf-8")).decode("ascii"))

    def open(self, sealed: SealedSecret) -> Secret:
        """Decrypt with whichever key sealed it."""
        token = sealed.token.removeprefix(_PREFIX)
        try:
            return Secret(self._fernet.decrypt(token.encode("ascii")).decode("utf-8"))
        except (InvalidToken, ValueError, UnicodeError):
            raise ByotError(
                f"A stored secret cannot be opened with the keys in {ENV_VAR}: was a key removed too early?",
                code="secret_unreadable",
            ) from None

    def rotate(self, sealed: SealedSecret) -> SealedSecret:
        """Re-seal with the first key (after a new key was put first)."""
        try:
            return SealedSecret(_PREFIX + self._fernet.rotate(sealed.token.removeprefix(_PREFIX).encode()).decode())
        except InvalidToken:
            raise ByotError(
                f"A stored secret cannot be opened with the keys in {ENV_VAR}", code="secret_unreadable"
            ) from None
