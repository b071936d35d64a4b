"""Matching a call's source address against a trunk's allowed addresses and CIDR ranges.

netaddr parses and merges the ranges once; lookups then bisect sorted integer bounds, so a check costs
O(log n) whatever the number of ranges (netaddr's ``IPSet`` membership test walks every prefix length instead).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import attrs
import netaddr

__all__ = ["SourceMatcher"]


@attrs.frozen
class _Ranges:
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __contains__(self, value: int) -> bool:
        index = bisect.bisect_right(self.starts, value) - 1
        return index >= 0 and value <= self.ends[index]


@attrs.frozen
class SourceMatcher:
    """The set of source addresses a trunk accepts calls from, as merged IPv4 and IPv6 ranges."""

    v4: _Ranges
    v6: _Ranges
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
        return cls(
            v4=_Ranges(tuple(bounds[4][0]), tuple(bounds[4][1])),
            v6=_Ranges(tuple(bounds[6][0]), tuple(bounds[6][1])),
            size=count,
        )

    def allows(self, address: str | None) -> bool:
        """Whether the address (IPv4, IPv6, or IPv4-mapped IPv6) lies in one of the ranges."""
        if not address:
            return False
        try:
            ip = netaddr.IPAddress(address.strip("[]"))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            return False
        if ip.version == 6 and ip.is_ipv4_mapped():
            ip = ip.ipv4()
        return int(ip) in (self.v4 if ip.version == 4 else self.v6)
