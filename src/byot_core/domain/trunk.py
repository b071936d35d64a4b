"""The trunk aggregate: a trunk with its gateways and IP identifiers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.secret import SealedSecret

__all__ = [
    "CHANNEL_BOUNDS",
    "GATEWAY_BOUNDS",
    "MAX_GATEWAYS",
    "MAX_IP_IDENTIFIERS",
    "MAX_NUMBERS_AT_CREATION",
    "OPTION_FIELDS",
    "SETTING_BOUNDS",
    "AuthType",
    "CallPolicy",
    "Gateway",
    "IpIdentifier",
    "SyncState",
    "Trunk",
    "TrunkSettings",
]

#: The most gateways a trunk may have (each is an AOR and an endpoint on every Asterisk node).
MAX_GATEWAYS = 16
#: The most IP identifiers a trunk may have (carriers publish a handful of ranges; each is a ``match`` line).
MAX_IP_IDENTIFIERS = 256
#: The most phone numbers a create body may carry; more are added through the numbers endpoint.
MAX_NUMBERS_AT_CREATION = 1000
#: Inclusive bounds of a gateway's numbers, as validation enforces them and the API document states them.
GATEWAY_BOUNDS: dict[str, tuple[int, int]] = {"port": (1, 65535), "priority": (1, 1_000_000), "weight": (1, 1000)}
#: Inclusive bounds of a trunk's ``channels`` (calls in progress at once, inbound and outbound together).
CHANNEL_BOUNDS = (1, 100_000)
#: Inclusive bounds of a trunk's integer settings, in seconds (``qualify_frequency`` 0 turns qualify off).
SETTING_BOUNDS: dict[str, tuple[int, int]] = {"qualify_frequency": (0, 86400), "ring_timeout_seconds": (5, 600)}


class AuthType(enum.Enum):
    """How the trunk authenticates: digest credentials, or the carrier trusting our source address."""

    USERPASS = "userpass"
    IP_BASED = "ip-based"


class SyncState(enum.Enum):
    """Whether the trunk's telephony configuration matches what storage says."""

    PENDING = "pending"
    APPLIED = "applied"
    FAILED = "failed"


@attrs.frozen
class Gateway:
    """One SIP gateway of a trunk. Lower ``priority`` is tried first; ``weight`` shares load among equal priorities."""

    id: str
    address: str
    port: int = 5060
    priority: int = 1
    weight: int = 1
    created_at: datetime | None = None


@attrs.frozen
class IpIdentifier:
    """An address or CIDR range that the carrier's traffic comes from, exactly as given."""

    id: str
    ip_address: str
    created_at: datetime | None = None


@attrs.frozen
class TrunkSettings:
    """The media and signalling options of a trunk, with the guide's defaults: what Asterisk is configured with.

    ``media_encryption`` and ``media_encryption_optimistic`` are beyond the guide: ``none`` (the guide's plain RTP),
    ``sdes`` (SRTP, its keys in the SDP: over ``transport-tls`` only) or ``dtls`` (DTLS-SRTP); optimistic encryption
    is used when the other side offers it and plain RTP otherwise, where required encryption refuses a call without it.
    """

    allow: str = "ulaw,alaw"
    disallow: str = "all"
    transport: str = "transport-udp"
    direct_media: bool = False
    rtp_symmetric: bool = True
    force_rport: bool = True
    ice_support: bool = True
    qualify_frequency: int = 60
    inbound_enabled: bool = False
    media_encryption: str = "none"
    media_encryption_optimistic: bool = False


@attrs.frozen
class CallPolicy:
    """How the library places a trunk's outbound calls: Asterisk never sees these, so changing them pushes nothing.

    ``outbound_leading_plus_enabled`` (the guide's) says whether the dialled number keeps its ``+``.
    ``ring_timeout_seconds`` (beyond the guide) is how long an outbound attempt rings before it ends ``no-answer``;
    60 s is what Asterisk's originate did before it could be set.
    """

    outbound_leading_plus_enabled: bool = True
    ring_timeout_seconds: int = 60


#: Every setting a trunk's body may carry, flat as the guide shows them: its :class:`TrunkSettings`, then its
#: :class:`CallPolicy`.
OPTION_FIELDS: tuple[attrs.Attribute[Any], ...] = (*attrs.fields(TrunkSettings), *attrs.fields(CallPolicy))


@attrs.frozen
class Trunk:
    """A customer's SIP trunk. ``auth_password`` is sealed: it can only be opened through the secrets port.

    ``default_inbound_agent_id`` (beyond the guide), when set, answers calls to the trunk's numbers that have no agent
    of their own. ``channels`` (beyond the guide), when set, is how many calls may be in progress on the trunk at
    once, inbound and outbound together; ``None`` is unlimited. ``calls_per_second`` (beyond the guide), when set,
    paces the outbound attempts started on the trunk (failovers included). ``inbound_auth_username`` and the sealed
    ``inbound_auth_password`` (beyond the guide), when set, are the credentials the carrier's calls must authenticate
    with (a digest challenge); the library generates the password. ``destinations`` (beyond the guide) narrows or
    widens the account's outbound destination policy for the trunk's calls (toll-fraud guard); Asterisk never sees it.

    ``revision`` is the stored version of the trunk: storage sets it to 1 when the trunk is added and adds one with
    each update (its sync state aside), and refuses an update made from an older one. A trunk not yet stored has 0.
    """

    id: str
    account_id: str
    name: str
    provider: str
    auth_type: AuthType
    gateways: tuple[Gateway, ...]
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    auth_username: str | None = None
    auth_password: SealedSecret | None = None
    ip_identifiers: tuple[IpIdentifier, ...] = ()
    settings: TrunkSettings = TrunkSettings()
    policy: CallPolicy = CallPolicy()
    is_active: bool = True
    deleted: bool = False
    sync_state: SyncState = SyncState.PENDING
    default_inbound_agent_id: str | None = None
    channels: int | None = None
    calls_per_second: int | None = None
    inbound_auth_username: str | None = None
    inbound_auth_password: SealedSecret | None = None
    destinations: DestinationPolicy = attrs.field(factory=DestinationPolicy)
    revision: int = 0

    @property
    def routes_calls(self) -> bool:
        """Whether the trunk's numbers take part in routing (active and not deleted)."""
        return self.is_active and not self.deleted

    def configures_like(self, other: Trunk) -> bool:
        """Whether telephony would hold the same configuration for both (the same trunk, before and after a change).

        Telephony is configured from the trunk's gateways, identifiers, settings, credentials and whether it routes
        calls; its name, description, provider, default agent, limits and call policy are the library's alone. A
        password given again counts as a change: sealed anew, it cannot be compared.
        """
        return (
            self.id == other.id
            and self.routes_calls == other.routes_calls
            and self.gateways == other.gateways
            and self.ip_identifiers == other.ip_identifiers
            and self.settings == other.settings
            and (self.auth_type, self.auth_username, self.auth_password)
            == (other.auth_type, other.auth_username, other.auth_password)
            and (self.inbound_auth_username, self.inbound_auth_password)
            == (other.inbound_auth_username, other.inbound_auth_password)
        )
