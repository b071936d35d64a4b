"""Numbers, inbound mapping, and routing of arriving calls."""

from __future__ import annotations

import asyncio

import attrs
import pytest

from byot_core import (
    AgentNotFound,
    NotMappedToAgent,
    PhoneNumberConflict,
    PhoneNumberNotFound,
    PhoneNumberOnTrunk,
    PhoneNumberRemoved,
    TrunkNotFound,
)
from byot_core.adapters.memory import MemoryStorage
from byot_core.domain.execution import Direction
from byot_core.domain.routing import Rejection, RejectReason, Route
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, AGENT, IP_TRUNK, OTHER_ACCOUNT, USERPASS_TRUNK, World, body, make_world


async def mapped(
    world: World, template: dict[str, object] = USERPASS_TRUNK, number: str = "919876543210"
) -> tuple[str, str]:
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, template)).trunk.id
    number_id = (await GuideApi(world.app).numbers.add(ACCOUNT, trunk_id, {"phone_number": number})).id
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number_id})
    return trunk_id, number_id


async def test_add_list_remove(world: World) -> None:
    """A number is added as given, listed with its mapping, and removed with the guide's message."""
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    number = await GuideApi(world.app).numbers.add(
        ACCOUNT, trunk_id, {"phone_number": "919876543210", "name": "Mumbai Support Line"}
    )
    assert (number.phone_number, number.trunk_id, number.agent_id, number.deleted) == (
        "919876543210",
        trunk_id,
        None,
        False,
    )
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
    assert [n.agent_id for n in await world.app.numbers.list(ACCOUNT, trunk_id)] == [AGENT]
    removed = await world.app.numbers.remove(ACCOUNT, trunk_id, number.id)
    assert removed.message == "Phone number removed successfully"
    assert list(await world.app.numbers.list(ACCOUNT, trunk_id)) == []
    with pytest.raises(PhoneNumberRemoved):
        await world.app.numbers.remove(ACCOUNT, trunk_id, number.id)


async def test_add_refusals(world: World) -> None:
    """Unknown trunks, DIDs held elsewhere (any spelling, any account) and duplicates are refused."""
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    other = (await GuideApi(world.app).trunks.create(OTHER_ACCOUNT, IP_TRUNK)).trunk.id
    await GuideApi(world.app).numbers.add(ACCOUNT, trunk_id, {"phone_number": "+919876543210"})
    with pytest.raises(PhoneNumberConflict) as caught:
        await GuideApi(world.app).numbers.add(OTHER_ACCOUNT, other, {"phone_number": "91-98765-43210"})
    assert caught.value.message == "Phone number already exists on another active trunk"
    with pytest.raises(PhoneNumberOnTrunk):
        await GuideApi(world.app).numbers.add(ACCOUNT, trunk_id, {"phone_number": "919876543210"})
    with pytest.raises(TrunkNotFound):
        await GuideApi(world.app).numbers.add(OTHER_ACCOUNT, trunk_id, {"phone_number": "15550001111"})


async def test_remove_a_number_of_another_trunk_is_not_found(world: World) -> None:
    """A number id that is not on the trunk in the path is 'Phone number doesn't exist.'."""
    first = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    second = (await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)).trunk.id
    number = await GuideApi(world.app).numbers.add(ACCOUNT, first, {"phone_number": "919876543210"})
    with pytest.raises(PhoneNumberNotFound) as caught:
        await world.app.numbers.remove(ACCOUNT, second, number.id)
    assert caught.value.message == "Phone number doesn't exist."


async def test_setup_messages(world: World) -> None:
    """Inbound setup: the guide's success message, and its two 404 messages for unknown and removed numbers."""
    trunk_id, number_id = await mapped(world)
    with pytest.raises(PhoneNumberNotFound) as unknown:
        await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": "01HQNUMBER111222333"})
    assert unknown.value.message == "Phone number doesn't exist."
    world.agents.register(OTHER_ACCOUNT, "agt-other")
    with pytest.raises(PhoneNumberNotFound):
        await GuideApi(world.app).inbound.setup(OTHER_ACCOUNT, {"agent_id": "agt-other", "phone_number_id": number_id})
    await world.app.trunks.delete(ACCOUNT, trunk_id)
    with pytest.raises(PhoneNumberRemoved) as removed:
        await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number_id})
    assert removed.value.message == "SIP trunk phone number not found in database"
    with pytest.raises(AgentNotFound):
        await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": "agt-other", "phone_number_id": number_id})


async def test_setup_sets_ulaw_and_moves_the_mapping(world: World) -> None:
    """Mapping sets the agent's audio to ulaw; mapping to a new agent unmaps the previous one."""
    trunk_id, number_id = await mapped(world)
    agent = await world.agents.get(ACCOUNT, AGENT)
    assert agent is not None
    assert agent.audio_format == "ulaw"
    world.agents.register(ACCOUNT, "agt-2")
    message = await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": "agt-2", "phone_number_id": number_id})
    assert message.message == "SIP trunk number successfully mapped to agent"
    assert [n.agent_id for n in await world.app.numbers.list(ACCOUNT, trunk_id)] == ["agt-2"]


async def test_unlink(world: World) -> None:
    """Unlink clears the mapping and keeps the number; the wrong agent is refused."""
    trunk_id, number_id = await mapped(world)
    with pytest.raises(NotMappedToAgent):
        await GuideApi(world.app).inbound.unlink(ACCOUNT, {"agent_id": "agt-nobody", "phone_number_id": number_id})
    await GuideApi(world.app).inbound.unlink(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number_id})
    assert [(n.id, n.agent_id) for n in await world.app.numbers.list(ACCOUNT, trunk_id)] == [(number_id, None)]


@pytest.mark.parametrize("called", ["+919876543210", "919876543210", "+91 98765 43210"])
async def test_inbound_call_reaches_the_agent(world: World, called: str) -> None:
    """A call to the DID, with or without '+', is answered and handed to the mapped agent as an execution."""
    _, number_id = await mapped(world)
    channel = world.telephony.incoming_call(called, source="192.0.2.50", caller="+14155550100")
    await world.settle()
    (offer,) = world.handler.offers
    assert (offer.agent_id, offer.phone_number_id, offer.channel_id) == (AGENT, number_id, channel)
    execution = await world.app.calls.get(ACCOUNT, offer.execution_id)
    assert (execution.direction, execution.status) == (Direction.INBOUND, ExecutionStatus.IN_PROGRESS)
    world.telephony.remote_hang_up(channel)
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, offer.execution_id)
    assert (ended.status, ended.hangup_reason and ended.hangup_reason.text) == (
        ExecutionStatus.COMPLETED,
        "Call ended normally",
    )


async def test_national_called_number_with_region() -> None:
    """With a default region, a carrier's national spelling of the DID still routes."""
    world = make_world(default_region="IN")
    await mapped(world)
    world.telephony.incoming_call("09876543210", source="192.0.2.50")
    await world.settle()
    assert len(world.handler.offers) == 1


async def test_explain_finds_a_number_from_any_spelling_of_it() -> None:
    """Read at once from memory: the digits as sent are tried first, then the called number's canonical key."""
    world = make_world(default_region="IN")
    _, number_id = await mapped(world)
    for called in ("+919876543210", "919876543210", "+91 98765-43210", "09876543210", "0091 98765 43210"):
        decision = await world.app.inbound.explain(called)
        assert isinstance(decision, Route), (called, decision.explain())
        assert decision.number_id == number_id
    for called in ("+0919876543210", "+91987654321", "not a number", ""):
        decision = await world.app.inbound.explain(called)
        assert isinstance(decision, Rejection), called
        assert decision.reason is RejectReason.UNKNOWN_NUMBER


async def test_refusals_hang_up_with_the_decisions_cause(world: World) -> None:
    """Unknown, unmapped, inactive-trunk, inbound-disabled and wrong-source calls are refused with their causes."""
    ip_trunk, _ = await mapped(world, IP_TRUNK, "15550001001")
    disabled = (await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, inbound_enabled=False))).trunk.id
    await GuideApi(world.app).numbers.add(ACCOUNT, disabled, {"phone_number": "15550001002"})
    unmapped = (await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name="Unmapped"))).trunk.id
    await GuideApi(world.app).numbers.add(ACCOUNT, unmapped, {"phone_number": "15550001003"})
    inactive, _ = await mapped(world, body(USERPASS_TRUNK, name="Inactive"), "15550001004")
    await GuideApi(world.app).trunks.update(ACCOUNT, inactive, {"is_active": False})
    cases = {
        ("+15550009999", None): RejectReason.UNKNOWN_NUMBER,
        ("+15550001001", "192.0.2.1"): RejectReason.SOURCE_NOT_ALLOWED,
        ("+15550001002", None): RejectReason.INBOUND_DISABLED,
        ("+15550001003", None): RejectReason.NUMBER_NOT_MAPPED,
        ("+15550001004", None): RejectReason.TRUNK_INACTIVE,
    }
    for (called, source), reason in cases.items():
        decision = await world.app.inbound.explain(called, source)
        assert isinstance(decision, Rejection)
        assert decision.reason is reason, decision.explain()
        channel = world.telephony.incoming_call(called, source=source)
        await world.settle()
        assert world.telephony.hangups[channel] == reason.q850_cause
    assert list(world.handler.offers) == []
    # The right source gets through.
    assert isinstance(await world.app.inbound.explain("15550001001", "15.207.90.193"), Route)
    assert ip_trunk


async def test_failing_handler_hangs_up(world: World) -> None:
    """If the embedder's handler raises, the caller is not left ringing: the channel is hung up."""

    class Broken:
        async def on_inbound_call(self, offer: object) -> None:
            raise RuntimeError("agent runtime down")

    object.__setattr__(world.app.deps, "inbound_handler", Broken())
    await mapped(world)
    channel = world.telephony.incoming_call("+919876543210")
    await world.settle()
    assert world.telephony.hangups[channel] == 41


async def test_a_trunks_default_agent_answers_its_numbers_without_an_agent(world: World) -> None:
    """An unmapped number goes to the trunk's default agent (explain says so); a mapped one keeps its own agent."""
    world.agents.register(ACCOUNT, "agt-reception", telephony_provider="sip-trunk")
    trunk = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, default_inbound_agent_id="agt-reception"))
    assert trunk.trunk.default_inbound_agent_id == "agt-reception"
    await GuideApi(world.app).numbers.add(ACCOUNT, trunk.trunk.id, {"phone_number": "+919876543210"})
    mapped_number = await GuideApi(world.app).numbers.add(ACCOUNT, trunk.trunk.id, {"phone_number": "+919876543211"})
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": mapped_number.id})

    decision = await world.app.inbound.explain("+919876543210", "15.207.90.192")
    assert isinstance(decision, Route)
    assert decision.agent_id == "agt-reception"
    assert decision.by_trunk_default
    assert "the trunk's default_inbound_agent_id" in decision.explain()
    own = await world.app.inbound.explain("+919876543211", "15.207.90.192")
    assert isinstance(own, Route)
    assert (own.agent_id, own.by_trunk_default) == (AGENT, False)

    world.telephony.incoming_call("+919876543210", source="15.207.90.192")
    await world.settle()
    assert [o.agent_id for o in world.handler.offers] == ["agt-reception"]

    await GuideApi(world.app).trunks.update(ACCOUNT, trunk.trunk.id, {"default_inbound_agent_id": None})
    cleared = await world.app.inbound.explain("+919876543210", "15.207.90.192")
    assert isinstance(cleared, Rejection)
    assert cleared.reason is RejectReason.NUMBER_NOT_MAPPED
    assert "no default_inbound_agent_id" in cleared.explain()


async def test_a_default_agent_must_exist_in_the_account(world: World) -> None:
    """Like a mapping's agent: an agent of another account, or none, is not found; nothing is stored."""
    world.agents.register(OTHER_ACCOUNT, "agt-elsewhere", telephony_provider="sip-trunk")
    with pytest.raises(AgentNotFound):
        await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, default_inbound_agent_id="agt-elsewhere"))
    assert list(await world.app.trunks.list(ACCOUNT)) == []
    trunk = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    with pytest.raises(AgentNotFound):
        await GuideApi(world.app).trunks.update(ACCOUNT, trunk.trunk.id, {"default_inbound_agent_id": "agt-nobody"})
    assert (await world.app.trunks.get(ACCOUNT, trunk.trunk.id)).trunk.default_inbound_agent_id is None


async def test_explain_waits_for_an_open_unit_of_work_and_sees_what_it_committed() -> None:
    """In memory, where a unit of work changes the state in place, explain never reads half of one."""
    world = make_world(storage=MemoryStorage())
    _, number_id = await mapped(world)
    assert isinstance(await world.app.inbound.explain("+919876543210"), Route)

    async with world.storage.unit_of_work() as uow:
        pending = asyncio.ensure_future(world.app.inbound.explain("+919876543210"))
        await asyncio.sleep(0.01)
        assert not pending.done(), "explain read beside an open unit of work"
        number = await uow.numbers.get(ACCOUNT, number_id)
        assert number is not None
        await uow.numbers.update(attrs.evolve(number, is_active=False))
        await uow.commit()
    decision = await pending
    assert isinstance(decision, Rejection)
    assert decision.reason is RejectReason.NUMBER_INACTIVE
