"""The use cases take typed inputs, as an embedder builds them, and hold them to the guide's rules."""

from __future__ import annotations

import pytest

from byot_core import ValidationFailed
from byot_core.domain.call_request import MappingRequest, call_request
from byot_core.domain.number_draft import NumberDraft, number_draft
from byot_core.domain.secret import Secret
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.trunk import AuthType
from byot_core.domain.trunk_draft import GatewayDraft, TrunkChanges, TrunkDraft
from tests.support import ACCOUNT, AGENT, World


def zadarma(**numbers: NumberDraft) -> TrunkDraft:
    return TrunkDraft(
        name="Zadarma Production",
        provider="zadarma",
        auth_type=AuthType.USERPASS,
        gateways=(GatewayDraft("sip.zadarma.com"),),
        auth_username="bolnaTesting",
        auth_password=Secret("SuperSecurePassword123"),
        settings={"inbound_enabled": True},
        phone_numbers=tuple(numbers.values()),
    )


async def test_the_guides_four_steps_with_types(world: World) -> None:
    """Create, add a number, map it, call from it: typed values all the way, the guide's answers at the end."""
    created = await world.app.trunks.create(ACCOUNT, zadarma())
    assert created.trunk.settings.inbound_enabled is True
    number = await world.app.numbers.add(ACCOUNT, created.trunk.id, number_draft("919876543210"))
    assert number.canonical_key == "919876543210"
    mapped = await world.app.inbound.setup(ACCOUNT, MappingRequest(AGENT, number.id))
    assert mapped.message == "SIP trunk number successfully mapped to agent"
    placed = await world.app.calls.place(ACCOUNT, call_request(AGENT, "+918800001234", "+919876543210"))
    await world.settle()
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.COMPLETED
    changed = await world.app.trunks.update(ACCOUNT, created.trunk.id, TrunkChanges(description="typed"))
    assert changed.trunk.description == "typed"


async def test_a_typed_number_key_is_worked_out_again_not_trusted(world: World) -> None:
    """A draft carrying a wrong canonical key is stored under the key its number really has."""
    created = await world.app.trunks.create(ACCOUNT, zadarma(one=NumberDraft("+91 98765-43210", "000")))
    stored = await world.app.numbers.list(ACCOUNT, created.trunk.id)
    assert [n.canonical_key for n in stored] == ["919876543210"]


async def test_a_typed_draft_is_refused_with_the_guides_message(world: World) -> None:
    """No gateway and no password: the guide's first message, and nothing stored."""
    draft = TrunkDraft(name="x", provider="y", auth_type=AuthType.USERPASS, gateways=())
    with pytest.raises(ValidationFailed) as refused:
        await world.app.trunks.create(ACCOUNT, draft)
    assert refused.value.message == "At least one gateway is required"
    assert [p.message for p in refused.value.problems][1] == (
        "auth_username and auth_password are required for userpass auth"
    )
    assert await world.app.trunks.list(ACCOUNT) == []
