"""Sample values and helpers the storage contract builds its checks from (usable in an adapter's own tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.trunk import AuthType, Gateway, IpIdentifier, Trunk
from byot_core.ports.storage import Storage

__all__ = ["T0", "StorageFactory", "expect", "numbered_trunk_body", "sample_number", "sample_trunk"]

#: Makes a fresh, empty storage of the adapter under test.
StorageFactory = Callable[[], Awaitable[Storage]]
#: The time every sample is stamped with.
T0 = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


def sample_trunk(trunk_id: str, account_id: str = "acct-1", *, name: str | None = None, active: bool = True) -> Trunk:
    """A valid ip-based trunk with two gateways and one identifier."""
    return Trunk(
        id=trunk_id,
        account_id=account_id,
        name=name or f"trunk {trunk_id}",
        provider="custom",
        auth_type=AuthType.IP_BASED,
        gateways=(
            Gateway(f"{trunk_id}-g1", "203.0.113.10", 5060, 1, 1, T0),
            Gateway(f"{trunk_id}-g2", "sip.example.com", 5060, 2, 1, T0),
        ),
        ip_identifiers=(IpIdentifier(f"{trunk_id}-i1", "198.51.100.0/24", T0),),
        created_at=T0,
        updated_at=T0,
        is_active=active,
    )


def sample_number(number_id: str, trunk: Trunk, key: str = "919876543210") -> PhoneNumber:
    """A live number on the trunk with the given canonical key."""
    return PhoneNumber(
        id=number_id,
        account_id=trunk.account_id,
        trunk_id=trunk.id,
        phone_number="+" + key,
        canonical_key=key,
        created_at=T0,
        updated_at=T0,
    )


async def expect(error: type[Exception], action: Awaitable[object], what: str) -> None:
    """Await ``action``; raise ``AssertionError`` naming ``what`` unless it raises ``error``."""
    try:
        await action
    except error:
        return
    raise AssertionError(f"{what}: expected {error.__name__}")


def numbered_trunk_body(i: int) -> dict[str, object]:
    """The guide's create body of ip-based trunk ``i``: two gateways and a /24, all of them its own (for load runs)."""
    return {
        "name": f"trunk {i}",
        "provider": "bench",
        "auth_type": "ip-based",
        "gateways": [
            {"gateway_address": f"10.{i >> 8 & 255}.{i & 255}.1", "priority": 1},
            {"gateway_address": f"10.{i >> 8 & 255}.{i & 255}.2", "priority": 2},
        ],
        "ip_identifiers": [{"ip_address": f"10.{i >> 8 & 255}.{i & 255}.0/24"}],
        "inbound_enabled": True,
    }
