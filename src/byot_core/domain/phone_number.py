"""A DID registered on a trunk, and its inbound mapping to an agent."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["TELEPHONY_PROVIDER", "PhoneNumber"]

#: Every number this library manages is a SIP-trunk number.
TELEPHONY_PROVIDER = "sip-trunk"


@attrs.frozen
class PhoneNumber:
    """A phone number stored exactly as given (``phone_number``), matched through ``canonical_key``.

    ``agent_id`` is the inbound mapping: the agent that answers calls to this number, or ``None``.
    """

    id: str
    account_id: str
    trunk_id: str
    phone_number: str
    canonical_key: str
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    e164_check_enabled: bool = False
    is_active: bool = True
    agent_id: str | None = None
    deleted: bool = False
