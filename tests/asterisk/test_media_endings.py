"""Every ending of a relayed call ends it, however the agent's close meets the relay's own work."""

from __future__ import annotations

import asyncio
import functools
import operator

from byot_core import audio
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.domain.status import ExecutionStatus
from tests.asterisk.agents import AgentCall, TestAgent
from tests.asterisk.conftest import asterisk_world, eventually
from tests.asterisk.test_calls import finished, mapped

SPEECH = audio.tone(1000, 3.0)


async def test_an_agent_closing_while_its_audio_plays_hangs_the_caller_up_every_time(agent: TestAgent) -> None:
    """Twenty agents close mid-speech, each at another moment of the relay's pacing: every caller is hung up."""

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await call.speak(SPEECH, chunk=758)  # more than the relay sends ahead: most of it waits in the playout
        await asyncio.sleep(0.1 + 0.007 * len(agent.calls))
        await call.speak(SPEECH[:758], chunk=758)  # audio arriving with the close, as a framework flushing sends
        await call.ws.close()

    agent.behaviour = behaviour
    plan = MediaPlan(agent.url + "/{agent_id}", MediaProtocol.TWILIO, answer_within=2.0)
    async with asyncio.timeout(60), asterisk_world(media_plan=plan) as world:
        await mapped(world)
        node = world.nodes[0]
        for turn in range(20):
            channel = node.inbound_call("+919876543210", "203.0.113.2", caller="+14155550100")
            await eventually(functools.partial(operator.contains, node.ended, channel.id), within=3.0)
            assert channel.hangup_cause == 16, f"turn {turn}"
            call_sid = agent.calls[-1].events("start")[0]["start"]["callSid"]
            assert (await finished(world, call_sid)).status is ExecutionStatus.COMPLETED
        await eventually(lambda: not node.media.bridges and not node.channels)
