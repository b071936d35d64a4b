"""API keys: ``Authorization: Bearer <key>``, each key opening one account.

Keys are held only as SHA-256 hashes. A presented key is hashed and looked up by its hash: one dictionary read,
whatever the number of accounts. The lookup's timing can only tell something about the hash of the presented key,
which an attacker already knows, never about a stored key (finding a preimage of SHA-256 is out of reach), so no
comparison against every key is needed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

__all__ = ["ApiKeys", "hash_key", "new_api_key", "parse_api_keys"]


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    """A new random key, in the guide's ``bn-…`` style."""
    return "bn-" + secrets.token_hex(16)


def parse_api_keys(text: str) -> dict[str, str]:
    """Read ``BYOT_API_KEYS`` (``key=account,key=account``) into key hashes and accounts."""
    found: dict[str, str] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, account = item.partition("=")
        if not sep or not key.strip() or not account.strip():
            raise ValueError("BYOT_API_KEYS must look like 'key=account,key=account'")
        found[hash_key(key.strip())] = account.strip()
    return found


class ApiKeys:
    """Known key hashes and the account each opens."""

    def __init__(self, hashes: Mapping[str, str]) -> None:
        self._hashes = dict(hashes)

    def __repr__(self) -> str:
        return f"ApiKeys({len(self._hashes)} keys)"

    def add(self, key_hash: str, account_id: str) -> None:
        """Accept one more key."""
        self._hashes[key_hash] = account_id

    def account_for(self, authorization: str | None) -> str | None:
        """The account an ``Authorization`` header opens, or ``None``."""
        if not authorization:
            return None
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return None
        return self._hashes.get(hash_key(key.strip()))
