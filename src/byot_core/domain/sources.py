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
        """Build from addresses and CIDR ranges (already validated); unreadable entries are ignored.

        netaddr reads each range; the ranges are then sorted and merged here (netaddr's ``IPSet`` did the same
        through CIDR compaction, at about a hundred times the cost for a trunk's few entries). A plain IPv4 address,
        the commonest entry, is read by ``inet_pton``, as netaddr would read it.
        """
        count = 0
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for text in networks:
            try:
                value = int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
                spans[4].append((value, value))
            except (OSError, ValueError, TypeError):
                try:
                    network = netaddr.IPNetwork(text)
                except (netaddr.AddrFormatError, ValueError, TypeError):
                    continue
                spans[network.version].append((network.first, network.last))
            count += 1
        bounds = {version: _merged(found) for version, found in spans.items()}
        return cls(bounds[4][0], bounds[4][1], bounds[6][0], bounds[6][1], count)

    def allows(self, address: str | None) -> bool:
        """Whether the address lies in one of the ranges."""
        if not address:
            return False
        # A plain IPv4 address, what carriers send from, is read here: this runs on every inbound call.
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
            starts, ends = self.v4_starts, self.v4_ends
        except (OSError, ValueError, TypeError):
            found = address_value(address)
            if found is None:
                return False
            version, value = found
            starts, ends = (self.v4_starts, self.v4_ends) if version == 4 else (self.v6_starts, self.v6_ends)
        index = bisect.bisect_right(starts, value) - 1
        return index >= 0 and value <= ends[index]


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Inclusive ranges sorted and merged where they overlap or touch: their starts and their ends."""
    starts: list[int] = []
    ends: list[int] = []
    for first, last in sorted(spans):
        if ends and first <= ends[-1] + 1:
            ends[-1] = max(ends[-1], last)
        else:
            starts.append(first)
            ends.append(last)
    return tuple(starts), tuple(ends)
