"""Each leg's SIP Call-ID and agreed codec on the execution, as Asterisk reports them (``protocol_id``, formats)."""

from __future__ import annotations

import uuid

from byot_core.adapters.asterisk.stream import codec_of
from byot_core.adapters.guide_json import execution_json
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from byot_core.testing.fake_asterisk import GatewayPlay
from tests.asterisk.conftest import AsteriskWorld, eventually
from tests.asterisk.test_calls import finished, in_progress, mapped, trunk_and_number
from tests.support import ACCOUNT, GUIDE_CALL


async def test_each_outbound_attempt_carries_its_own_call_id_and_the_answered_one_its_codec(
    world: AsteriskWorld,
) -> None:
    """Failover 503 then answer: two legs, two Call-IDs (Asterisk's UUIDs); the answered leg agreed ``alaw``.

    The callee answers ``alaw`` first: the codec is the first of its answer that the trunk allows.
    """
    await trunk_and_number(world)
    node = world.nodes[0]
    node.script("203.0.113.1:5060", GatewayPlay.CONGESTION)
    node.script("203.0.113.2:5060", GatewayPlay.ANSWER)
    node.book.callee_codecs["203.0.113.2:5060"] = ("opus", "alaw", "ulaw")
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await in_progress(world, placed.id)

    async def codec_read() -> bool:
        return (await world.app.calls.get(ACCOUNT, placed.id)).attempts[-1].codec is not None

    await eventually(codec_read)
    execution = await world.app.calls.get(ACCOUNT, placed.id)
    channels = [node.ended[d[2]] if d[2] in node.ended else node.channels[d[2]] for d in node.dialled]
    assert [a.sip_call_id for a in execution.attempts] == [c.call_id for c in channels]
    assert all(uuid.UUID(c.call_id) for c in channels)
    assert channels[0].call_id != channels[1].call_id
    assert [a.codec for a in execution.attempts] == [None, "alaw"]
    body = execution_json(execution)
    assert (body["sip_call_id"], body["codec"]) == (channels[1].call_id, "alaw")
    assert [a["sip_call_id"] for a in body["attempts"]] == [c.call_id for c in channels]
    await world.app.control.hang_up(ACCOUNT, placed.id)
    ended = await finished(world, placed.id)
    assert (ended.leg.sip_call_id, ended.leg.codec) == (channels[1].call_id, "alaw") if ended.leg else False


async def test_a_callee_without_a_codec_in_common_fails_the_attempt_with_488(world: AsteriskWorld) -> None:
    """The trunk allows ulaw and alaw; a callee that takes only opus answers 488: cause 58, no codec recorded."""
    await trunk_and_number(world)
    for host in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        world.nodes[0].book.callee_codecs[f"{host}:5060"] = ("opus",)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    execution = await finished(world, placed.id)
    assert execution.status is ExecutionStatus.FAILED
    assert {(a.sip_code, a.q850_cause, a.codec) for a in execution.attempts} == {(488, 58, None)}
    assert all(a.sip_call_id for a in execution.attempts)


async def test_an_inbound_call_carries_the_carriers_call_id_and_the_codec_its_offer_preferred(
    world: AsteriskWorld,
) -> None:
    """The carrier's own Call-ID, as its INVITE had it; the codec is the offer's first that the trunk allows."""
    await mapped(world)
    channel = world.nodes[0].inbound_call(
        "+919876543210", "203.0.113.2", call_id="7f3a-99@carrier.example", codecs=("g722", "alaw", "ulaw")
    )
    await eventually(lambda: len(world.handler.offers) == 1)
    execution_id = world.handler.offers[0].execution_id
    await in_progress(world, execution_id)

    async def codec_read() -> bool:
        return (await world.app.calls.get(ACCOUNT, execution_id)).attempts[0].codec is not None

    await eventually(codec_read)
    execution = await world.app.calls.get(ACCOUNT, execution_id)
    assert (execution.attempts[0].sip_call_id, execution.attempts[0].codec) == ("7f3a-99@carrier.example", "alaw")
    world.nodes[0].remote_hang_up(channel.id)
    assert (await finished(world, execution_id)).leg is not None


async def test_an_inbound_offer_without_a_codec_the_trunk_allows_is_refused_488(world: AsteriskWorld) -> None:
    """Asterisk refuses the INVITE itself (no joint codec): nothing reaches the library, no execution."""
    await mapped(world)
    channel = world.nodes[0].inbound_call("+919876543210", "203.0.113.2", codecs=("opus",))
    assert channel.sip_answer == 488
    assert not world.handler.offers


def test_asterisks_format_lists_read_as_one_codec() -> None:
    """``(ulaw)`` is ulaw; of several, Asterisk's first; ``(nothing)`` and an empty answer are no codec."""
    assert codec_of("(ulaw)") == "ulaw"
    assert codec_of("(alaw|ulaw)") == "alaw"
    assert codec_of("(nothing)") is None
    assert codec_of("") is None
