"""Acting on a call through the fake Asterisk: keys sent reach the far end (and, echoed, the agent); hang up."""

from __future__ import annotations

import pytest

from byot_core.domain.call_control import CallNotInProgress
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from tests.asterisk.agents import TestAgent
from tests.asterisk.conftest import AsteriskWorld, asterisk_world, eventually
from tests.asterisk.test_calls import finished, in_progress, mapped
from tests.asterisk.test_media import plan
from tests.support import ACCOUNT, GUIDE_CALL


async def test_keys_sent_into_an_outbound_call_reach_the_far_end(world: AsteriskWorld) -> None:
    """POST /channels/{id}/dtmf on the answered channel: the far party hears the digits, pauses included."""
    await mapped(world)
    node = world.nodes[0]
    node.book.answer_after = 0.5
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    with pytest.raises(CallNotInProgress):  # still ringing: nothing to send keys into
        await world.app.control.send_dtmf(ACCOUNT, placed.id, "1")

    async def answered() -> bool:
        return (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.IN_PROGRESS

    await eventually(answered)
    await world.app.control.send_dtmf(ACCOUNT, placed.id, "12w#")
    channel = node.channels[placed.attempts[0].channel_id]
    assert channel.keys_heard == "12w#"
    await world.app.control.hang_up(ACCOUNT, placed.id)
    ended = await finished(world, placed.id)
    assert ended.status is ExecutionStatus.COMPLETED
    again = await world.app.control.hang_up(ACCOUNT, placed.id)  # idempotent: nothing to end any more
    assert again.status is ExecutionStatus.COMPLETED
    with pytest.raises(CallNotInProgress):
        await world.app.control.send_dtmf(ACCOUNT, placed.id, "1")


async def test_keys_an_ivr_echoes_back_reach_the_agent(agent: TestAgent) -> None:
    """Keys sent to a far end that presses them back arrive at the agent as Twilio ``dtmf`` messages."""
    async with asterisk_world(media_plan=plan(agent)) as world:
        await mapped(world)
        node = world.nodes[0]
        node.book.echo_keys = True
        channel = node.inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
        await eventually(lambda: agent.calls and agent.calls[0].events("start"))
        await eventually(lambda: node.media.bridges)
        execution_id = agent.calls[0].events("start")[0]["start"]["callSid"]
        await in_progress(world, execution_id)
        await world.app.control.send_dtmf(ACCOUNT, execution_id, "4w2")
        await eventually(lambda: len(agent.calls[0].events("dtmf")) == 2)
        assert [m["dtmf"]["digit"] for m in agent.calls[0].events("dtmf")] == ["4", "2"]
        node.remote_hang_up(channel.id)
