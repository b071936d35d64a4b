"""The uniqueness rules, stated once for every storage adapter to enforce.

- A trunk name is unique per account among trunks that are not deleted, compared without case or edge spaces.
- A canonical DID is held at most once, platform-wide, among numbers that are not deleted and sit on an active,
  undeleted trunk: two holders would make inbound routing ambiguous and let one account take another's calls.
- A DID appears at most once on one trunk (a second copy would hold the DID twice once the trunk is active).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.trunk import Trunk

__all__ = ["first_held_elsewhere", "holds_did", "name_key"]


def name_key(name: str) -> str:
    """The form in which trunk names are compared for uniqueness."""
    return name.strip().casefold()


def holds_did(number: PhoneNumber, trunk: Trunk) -> bool:
    """Whether this number counts as the holder of its DID (live number on an active, undeleted trunk)."""
    return not number.deleted and trunk.routes_calls


def first_held_elsewhere(
    numbers: Iterable[PhoneNumber], holder_of: Callable[[str], str | None], trunk_id: str
) -> PhoneNumber | None:
    """The first live number whose DID another trunk holds, given ``holder_of(key) -> trunk id or None``.

    Used when a trunk becomes active: each of its numbers would start holding its DID.
    """
    for number in numbers:
        if number.deleted:
            continue
        holder = holder_of(number.canonical_key)
        if holder is not None and holder != trunk_id:
            return number
    return None
