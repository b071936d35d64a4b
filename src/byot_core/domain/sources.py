"""Matching a call's source address against a trunk's allowed addresses and CIDR ranges.

netaddr parses, validates and merges the ranges once, when a trunk's matcher is built. Lookups, which happen on every
inbound call, then parse the source with the C library's strict ``inet_pton`` (netaddr's own parser costs several
microseconds) and bisect sorted integer bounds, so a check costs O(log n) whatever the number of ranges (netaddr's
``IPSet`` membership test walks every prefix length instead).
"""

from __future__ import annotations

import bisect
import socket
from collections.abc import Iterable

import attrs
import netaddr

__all__ = ["SourceMatcher", "address_value"]

_V4_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"


def address_value(text: str) -> tuple[int, int] | None:
    """The IP version and integer value of an address written plainly (IPv6 may be bracketed), or ``None``.

    IPv4-mapped IPv6 addresses (``::ffff:a.b.c.d``) count as the IPv4 address they carry.
    """
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, ValueError, TypeError):
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, text[1:-1] if text.startswith("[") and text.endswith("]") else text)
    except (OSError, ValueError, TypeError):
        return None
    if packed[:12] == _V4_MAPPED_PREFIX:
        return 4, int.from_bytes(packed[12:], "big")
    return 6, int.from_bytes(packed, "big")


@attrs.frozen
class SourceMatcher:
    """The set of source addresses a trunk accepts calls from, as merged, sorted IPv4 and IPv6 ranges."""

    v4_starts: tuple[int, ...]
    v4_ends: tuple[int, ...]
    v6_starts: tuple[int, ...]
    v6_ends: tuple[int, ...]
    size: int

    @classmethod
    def build(cls, networks: Iterable[str]) -> SourceMatcher:
        """Build from addresses and CIDR ranges (already validated); unreadable entries are ignored."""
        ip_set = netaddr.IPSet()
        count = 0
        for text in networks:
            try:
                ip_set.add(netaddr.IPNetwork(text))
            except (netaddr.AddrFormatError, ValueError, TypeError):
                continue
            count += 1
        bounds: dict[int, tuple[list[int], list[int]]] = {4: ([], []), 6: ([], [])}
        for ip_range in ip_set.iter_ipranges():
            starts, ends = bounds[ip_range.version]
            starts.append(ip_range.first)
            ends.append(ip_range.last)
        return cls(tuple(bounds[4][0]), tuple(bounds[4][1]), tuple(bounds[6][0]), tuple(bounds[6][1]), count)

    def allows(self, address: str | None) -> bool:
        """Whether the address lies in one of the ranges."""
        found = address_value(address) if address else None
        if found is None:
            return False
        version, value = found
        starts, ends = (self.v4_starts, self.v4_ends) if version == 4 else (self.v6_starts, self.v6_ends)
        index = bisect.bisect_right(starts, value) - 1
        return index >= 0 and value <= ends[index]
