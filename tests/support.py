"""A composed application on in-memory adapters and a fake telephony, and the guide's sample bodies."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import attrs

import byot_core
from byot_core.adapters.fake_telephony import FakeTelephony
from byot_core.adapters.memory import (
    FixedBalance,
    MemoryAgentDirectory,
    MemorySecretBox,
    MemoryStorage,
    RecordingInboundHandler,
    RecordingOutboundHandler,
)
from byot_core.adapters.recording_stores import MemoryRecordingStore
from byot_core.adapters.system import FrozenClock, UlidFactory
from byot_core.domain.media import MediaPlan
from byot_core.ports.metrics import Metrics
from byot_core.ports.storage import Storage

#: What a real Asterisk 22 said and did, recorded: the test data the fake Asterisk is checked against.
ASTERISK_RECORDINGS = Path(__file__).parent / "data" / "asterisk"

ACCOUNT = "user_abc123"
OTHER_ACCOUNT = "user_other"
AGENT = "agt-11111111-1111-1111-1111-111111111111"

# The guide's own request bodies (Step 1 examples).
USERPASS_TRUNK: dict[str, Any] = {
    "name": "Zadarma Production",
    "provider": "zadarma",
    "description": "Main Zadarma trunk for outbound sales",
    "auth_type": "userpass",
    "auth_username": "bolnaTesting",
    "auth_password": "SuperSecurePassword123",
    "gateways": [{"gateway_address": "sip.zadarma.com", "port": 5060, "priority": 1}],
    "allow": "ulaw,alaw",
    "disallow": "all",
    "inbound_enabled": True,
    "outbound_leading_plus_enabled": True,
}
IP_TRUNK: dict[str, Any] = {
    "name": "Plivo Elastic Trunk",
    "provider": "plivo",
    "auth_type": "ip-based",
    "gateways": [{"gateway_address": "21467306465797919.zt.plivo.com", "port": 5060, "priority": 1}],
    "ip_identifiers": [
        {"ip_address": "15.207.90.192/31"},
        {"ip_address": "204.89.151.128/27"},
        {"ip_address": "13.52.9.0/25"},
    ],
    "inbound_enabled": True,
}

# The guide's Step 4 request body.
GUIDE_CALL: dict[str, Any] = {
    "agent_id": AGENT,
    "recipient": {"phone_number": "+918800001234", "name": "Rahul Sharma"},
    "from_number": "+919876543210",
}


def body(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of a sample body with some fields changed (``None`` removes a field)."""
    result = copy.deepcopy(template)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


@attrs.define
class World:
    """The application and every fake behind it."""

    app: byot_core.Byot
    storage: Storage
    telephony: FakeTelephony
    agents: MemoryAgentDirectory
    secrets: MemorySecretBox
    clock: FrozenClock
    balance: FixedBalance
    handler: RecordingInboundHandler
    outbound: RecordingOutboundHandler

    async def settle(self) -> int:
        """Deliver every pending call event to the application."""
        return await self.telephony.deliver(self.app.events.handle)


def make_world(
    default_region: str | None = None,
    storage: Storage | None = None,
    media_plan: MediaPlan | None = None,
    metrics: Metrics | None = None,
) -> World:
    """A fresh world with one SIP-trunk agent in ``ACCOUNT``, on the storage given (memory by default)."""
    storage = storage if storage is not None else MemoryStorage()
    telephony, agents = FakeTelephony(), MemoryAgentDirectory()
    secrets, clock, balance, handler = MemorySecretBox(), FrozenClock(), FixedBalance(), RecordingInboundHandler()
    outbound = RecordingOutboundHandler()
    app = byot_core.build(
        storage=storage,
        telephony=telephony,
        agents=agents,
        secrets=secrets,
        clock=clock,
        ids=UlidFactory(),
        balance=balance,
        inbound_handler=handler,
        outbound_handler=outbound,
        default_region=default_region,
        media_plan=media_plan,
        recordings=MemoryRecordingStore(),
        metrics=metrics,
    )
    agents.register(ACCOUNT, AGENT, telephony_provider="sip-trunk")
    return World(app, storage, telephony, agents, secrets, clock, balance, handler, outbound)
