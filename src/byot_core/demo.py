"""``byot demo``: the guide's four steps on in-memory storage and a fake telephony, printing every answer."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["walk_the_guide"]

_AGENT = "agt-11111111-1111-1111-1111-111111111111"
_ACCOUNT = "user_abc123"


def _show(title: str, request: Any, response: Any) -> None:
    print(f"\n## {title}")
    if request is not None:
        print("request:  " + json.dumps(request))
    print("response: " + json.dumps(response, indent=2))


async def walk_the_guide() -> int:
    """Create a trunk, add a number, map it, take an inbound call and place an outbound one; 0 when done."""
    from byot_core.adapters.fake_telephony import FakeTelephony, Outcome
    from byot_core.adapters.guide_json import execution_json, number_json, trunk_json
    from byot_core.adapters.memory import (
        FixedBalance,
        MemoryAgentDirectory,
        MemorySecretBox,
        MemoryStorage,
        RecordingInboundHandler,
    )
    from byot_core.composition import build
    from byot_core.guide_api import GuideApi

    telephony, agents, handler = FakeTelephony(), MemoryAgentDirectory(), RecordingInboundHandler()
    # In memory on purpose: every port is chosen here, so nothing is a forgotten stand-in.
    app = build(
        storage=MemoryStorage(),
        telephony=telephony,
        agents=agents,
        secrets=MemorySecretBox(),
        balance=FixedBalance(),
        inbound_handler=handler,
    )
    guide = GuideApi(app)  # the use cases with the guide's JSON bodies
    agents.register(_ACCOUNT, _AGENT, telephony_provider="sip-trunk")
    print("byot demo: the guide's four steps on in-memory storage and a fake telephony")

    trunk_body = {
        "name": "Zadarma Production",
        "provider": "zadarma",
        "auth_type": "userpass",
        "auth_username": "bolnaTesting",
        "auth_password": "SuperSecurePassword123",
        "gateways": [
            {"gateway_address": "sip.zadarma.com", "port": 5060, "priority": 1},
            {"gateway_address": "sip2.zadarma.com", "port": 5060, "priority": 2},
        ],
        "inbound_enabled": True,
    }
    details = await guide.trunks.create(_ACCOUNT, trunk_body)
    shown = dict(trunk_body, auth_password="********")  # noqa: S106 - the guide's example password, masked
    _show("Step 1: POST /sip-trunks/trunks (201)", shown, trunk_json(details))

    number_body = {"phone_number": "919876543210", "name": "Mumbai Support Line"}
    number = await guide.numbers.add(_ACCOUNT, details.trunk.id, number_body)
    _show(f"Step 2: POST /sip-trunks/trunks/{details.trunk.id}/numbers (201)", number_body, number_json(number))

    mapping = {"agent_id": _AGENT, "phone_number_id": number.id}
    message = await guide.inbound.setup(_ACCOUNT, mapping)
    _show("Step 3: POST /inbound/setup (200)", mapping, {"message": message.message})

    channel = telephony.incoming_call("+919876543210", source="203.0.113.7", caller="+14155550100")
    await telephony.deliver(app.events.handle)
    telephony.remote_hang_up(channel)
    await telephony.deliver(app.events.handle)
    inbound = await app.calls.get(_ACCOUNT, handler.offers[0].execution_id)
    _show("An inbound call to +919876543210 reaches the agent", None, execution_json(inbound))

    telephony.script("sip.zadarma.com", Outcome.CONGESTION)
    call = {
        "agent_id": _AGENT,
        "recipient": {"phone_number": "+918800001234", "name": "Rahul Sharma"},
        "from_number": "+919876543210",
    }
    placed = await guide.calls.place(_ACCOUNT, call)
    await telephony.deliver(app.events.handle)
    outbound = await app.calls.get(_ACCOUNT, placed.id)
    title = "Step 4: POST /call; the first gateway answers 503, the second completes the call"
    _show(title, call, execution_json(outbound))
    return 0
