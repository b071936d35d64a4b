"""The source matcher agrees with the standard library's ``ipaddress`` on arbitrary addresses and networks."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.sources import SourceMatcher
from tests.strategies import ipv4_addresses, ipv4_networks

ipv6_networks = st.tuples(st.integers(0, 2**128 - 1), st.integers(16, 128)).map(
    lambda pair: f"{ipaddress.IPv6Address(pair[0])}/{pair[1]}"
)
# Plain addresses too: the commonest entry, read by another path than ranges.
networks = st.lists(ipv4_networks | ipv6_networks | ipv4_addresses, max_size=12)


def expected(address: str, nets: list[str]) -> bool:
    """Membership as ``ipaddress`` says it, an IPv4-mapped IPv6 address counting as the IPv4 one it carries."""
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in ipaddress.ip_network(n, strict=False) for n in nets)


@given(networks, st.data())
def test_the_matcher_agrees_with_ipaddress(nets: list[str], data: st.DataObject) -> None:
    """Addresses anywhere, and addresses drawn from inside the networks (the edges included), are judged alike."""
    matcher = SourceMatcher.build(nets)
    candidates = [data.draw(ipv4_addresses), str(data.draw(st.ip_addresses(v=6)))]
    for text in nets:
        net = ipaddress.ip_network(text, strict=False)
        offset = data.draw(st.integers(0, net.num_addresses - 1))
        candidates += [str(net.network_address), str(net.broadcast_address), str(net.network_address + offset)]
        if net.version == 4:
            candidates.append(f"::ffff:{net.network_address + offset}")
            if int(net.broadcast_address) < 2**32 - 1:
                candidates.append(str(net.broadcast_address + 1))
    for address in candidates:
        assert matcher.allows(address) == expected(address, nets), (address, nets)


@given(networks, st.text(max_size=20))
def test_anything_that_is_not_an_address_is_refused(nets: list[str], text: str) -> None:
    """A source that is not an IP address never matches, whatever the ranges."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        assert not SourceMatcher.build(nets).allows(text)
