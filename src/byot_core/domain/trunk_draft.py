"""A trunk as a use case takes it: a draft to create, or the changes of a partial update, with the guide's messages.

These are typed values: an embedder builds them directly, and the guide's JSON is read into them at the edge
(:mod:`byot_core.guide`). The rules they must satisfy are :mod:`byot_core.domain.trunk_checks`.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.missing import MISSING, Missing
from byot_core.domain.number_draft import NumberDraft
from byot_core.domain.secret import Secret
from byot_core.domain.trunk import AuthType

__all__ = [
    "MSG_AUTH_NOT_USED",
    "MSG_AUTH_TYPE",
    "MSG_GATEWAY_REQUIRED",
    "MSG_IP_IDENTIFIERS_REQUIRED",
    "MSG_NAME_REQUIRED",
    "MSG_PROVIDER_REQUIRED",
    "MSG_USERPASS_REQUIRED",
    "GatewayDraft",
    "TrunkChanges",
    "TrunkDraft",
]

MSG_NAME_REQUIRED = "Trunk name is required"
MSG_PROVIDER_REQUIRED = "Provider is required"
MSG_AUTH_TYPE = "auth_type must be 'userpass' or 'ip-based'"
MSG_GATEWAY_REQUIRED = "At least one gateway is required"
MSG_USERPASS_REQUIRED = "auth_username and auth_password are required for userpass auth"
MSG_IP_IDENTIFIERS_REQUIRED = "ip_identifiers are required for ip-based auth"
MSG_AUTH_NOT_USED = "auth_username and auth_password are only used by userpass trunks"


@attrs.frozen
class GatewayDraft:
    """A gateway to create, before it has an id; without a ``port``, the transport's (5061 over TLS, else 5060)."""

    address: str
    port: int | None = None
    priority: int = 1
    weight: int = 1


@attrs.frozen
class TrunkDraft:
    """A trunk to create, with the guide's defaults.

    ``settings`` holds only the settings given (names of :class:`~byot_core.domain.trunk.TrunkSettings`); the others
    keep their defaults. ``inbound_auth_username`` (beyond the guide) asks for credentials the carrier's calls must
    authenticate with; the library generates their password.
    """

    name: str
    provider: str
    auth_type: AuthType
    gateways: tuple[GatewayDraft, ...]
    description: str | None = None
    auth_username: str | None = None
    auth_password: Secret | None = None
    ip_identifiers: tuple[str, ...] = ()
    settings: Mapping[str, bool | int | str] = attrs.field(factory=dict)
    phone_numbers: tuple[NumberDraft, ...] = ()
    default_inbound_agent_id: str | None = None
    channels: int | None = None
    calls_per_second: int | None = None
    inbound_auth_username: str | None = None
    destinations: DestinationPolicy = attrs.field(factory=DestinationPolicy)


@attrs.frozen
class TrunkChanges:
    """The changes of a partial update: only the fields that were sent, ``MISSING`` elsewhere (``None`` clears)."""

    name: str | Missing = MISSING
    provider: str | Missing = MISSING
    description: str | Missing | None = MISSING
    is_active: bool | Missing = MISSING
    auth_username: str | Missing | None = MISSING
    auth_password: Secret | Missing | None = MISSING
    gateways: tuple[GatewayDraft, ...] | Missing = MISSING
    ip_identifiers: tuple[str, ...] | Missing = MISSING
    settings: Mapping[str, bool | int | str] = attrs.field(factory=dict)
    default_inbound_agent_id: str | Missing | None = MISSING
    channels: int | Missing | None = MISSING
    calls_per_second: int | Missing | None = MISSING
    #: A username sets (or rotates: a new password each time it is sent) the carrier's credentials; ``None`` removes.
    inbound_auth_username: str | Missing | None = MISSING
    #: The trunk's destination policy, replaced whole; ``None`` goes back to the account's.
    destinations: DestinationPolicy | Missing | None = MISSING
