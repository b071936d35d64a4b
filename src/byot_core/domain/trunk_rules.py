"""Building a trunk from a validated body, and applying a partial update with the cross-field rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.errors import Problem, ValidationFailed
from byot_core.domain.missing import Missing
from byot_core.domain.secret import SealedSecret
from byot_core.domain.secure_trunk_checks import encryption_problems
from byot_core.domain.trunk import AuthType, CallPolicy, Gateway, IpIdentifier, SyncState, Trunk, TrunkSettings
from byot_core.domain.trunk_draft import (
    MSG_AUTH_NOT_USED,
    MSG_IP_IDENTIFIERS_REQUIRED,
    MSG_USERPASS_REQUIRED,
    GatewayDraft,
    TrunkChanges,
    TrunkDraft,
)

__all__ = ["apply_changes", "build_trunk", "default_port"]

NewId = Callable[[], str]


def default_port(transport: str) -> int:
    """The port a gateway is dialled on when none is given: SIP over TLS listens on 5061, else 5060."""
    return 5061 if transport == "transport-tls" else 5060


def _gateways(drafts: Sequence[GatewayDraft], new_id: NewId, now: datetime, transport: str) -> tuple[Gateway, ...]:
    return tuple(
        Gateway(
            id=new_id(),
            address=draft.address,
            port=draft.port if draft.port is not None else default_port(transport),
            priority=draft.priority,
            weight=draft.weight,
            created_at=now,
        )
        for draft in drafts
    )


def _identifiers(addresses: Sequence[str], new_id: NewId, now: datetime) -> tuple[IpIdentifier, ...]:
    return tuple(IpIdentifier(id=new_id(), ip_address=address, created_at=now) for address in addresses)


_Options = TypeVar("_Options", TrunkSettings, CallPolicy)


def _with(base: _Options, changes: Mapping[str, bool | int | str]) -> _Options:
    """``base`` with the changes that name its fields (the readers only produce names that one of them declares)."""
    values: dict[str, Any] = {f.name: changes[f.name] for f in attrs.fields(type(base)) if f.name in changes}
    return attrs.evolve(base, **values) if values else base


def build_trunk(
    draft: TrunkDraft,
    *,
    trunk_id: str,
    account_id: str,
    new_id: NewId,
    now: datetime,
    sealed_password: SealedSecret | None,
    sealed_inbound_password: SealedSecret | None = None,
) -> Trunk:
    """Make a new trunk from a validated create body. The passwords arrive already sealed."""
    settings = _with(TrunkSettings(), draft.settings)
    return Trunk(
        id=trunk_id,
        account_id=account_id,
        name=draft.name,
        provider=draft.provider,
        description=draft.description,
        auth_type=draft.auth_type,
        auth_username=draft.auth_username,
        auth_password=sealed_password,
        gateways=_gateways(draft.gateways, new_id, now, settings.transport),
        ip_identifiers=_identifiers(draft.ip_identifiers, new_id, now),
        settings=settings,
        policy=_with(CallPolicy(), draft.settings),
        default_inbound_agent_id=draft.default_inbound_agent_id,
        channels=draft.channels,
        calls_per_second=draft.calls_per_second,
        inbound_auth_username=draft.inbound_auth_username,
        inbound_auth_password=sealed_inbound_password if draft.inbound_auth_username is not None else None,
        destinations=draft.destinations,
        created_at=now,
        updated_at=now,
        sync_state=SyncState.PENDING,
    )


# The fields an update sets as sent (None clears the optional ones).
_PLAIN_CHANGES = (
    "calls_per_second",
    "name",
    "provider",
    "description",
    "is_active",
    "auth_username",
    "default_inbound_agent_id",
    "channels",
)


def apply_changes(
    trunk: Trunk,
    changes: TrunkChanges,
    *,
    new_id: NewId,
    now: datetime,
    sealed_password: SealedSecret | None,
    sealed_inbound_password: SealedSecret | None = None,
) -> Trunk:
    """Return the trunk with the changes applied, after the rules that need both (auth fields, identifiers).

    ``sealed_password`` is the sealed form of ``changes.auth_password`` when one was sent;
    ``sealed_inbound_password`` the new carrier password when ``changes.inbound_auth_username`` sets one. Gateways
    and identifiers are replaced whole when sent. Raises :class:`ValidationFailed` with the guide's messages.
    """
    problems: list[Problem] = []
    sent_username = not isinstance(changes.auth_username, Missing)
    sent_password = not isinstance(changes.auth_password, Missing)
    if trunk.auth_type is AuthType.IP_BASED:
        if (sent_username and changes.auth_username) or (sent_password and changes.auth_password):
            problems.append(Problem("auth_username", "auth_not_used", MSG_AUTH_NOT_USED))
        if isinstance(changes.ip_identifiers, tuple) and not changes.ip_identifiers:
            problems.append(Problem("ip_identifiers", "ip_identifiers_required", MSG_IP_IDENTIFIERS_REQUIRED))
    else:
        blank_username = sent_username and not changes.auth_username
        blank_password = sent_password and (
            changes.auth_password is None
            or (not isinstance(changes.auth_password, Missing) and not changes.auth_password.reveal())
        )
        if blank_username or blank_password:
            problems.append(Problem("auth_username", "userpass_credentials_required", MSG_USERPASS_REQUIRED))
    if problems:
        raise ValidationFailed(problems)

    updates: dict[str, Any] = {"updated_at": now, "sync_state": SyncState.PENDING}
    for name in _PLAIN_CHANGES:
        value = getattr(changes, name)
        if not isinstance(value, Missing):
            updates[name] = value
    if sent_password and sealed_password is not None:
        updates["auth_password"] = sealed_password
    if not isinstance(changes.inbound_auth_username, Missing):
        updates["inbound_auth_username"] = changes.inbound_auth_username
        updates["inbound_auth_password"] = (
            sealed_inbound_password if changes.inbound_auth_username is not None else None
        )
    if not isinstance(changes.destinations, Missing):
        updates["destinations"] = changes.destinations or DestinationPolicy()
    if not isinstance(changes.gateways, Missing):
        transport = changes.settings.get("transport", trunk.settings.transport)
        updates["gateways"] = _gateways(changes.gateways, new_id, now, str(transport))
    if not isinstance(changes.ip_identifiers, Missing):
        updates["ip_identifiers"] = _identifiers(changes.ip_identifiers, new_id, now)
    if changes.settings:
        updates["settings"] = _with(trunk.settings, changes.settings)
        updates["policy"] = _with(trunk.policy, changes.settings)
        # The settings as they would be: a change of transport alone can leave SRTP keys travelling in clear.
        encryption = encryption_problems(updates["settings"])
        if encryption:
            raise ValidationFailed(encryption)
    return attrs.evolve(trunk, **updates)
