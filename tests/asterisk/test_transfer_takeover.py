"""A transferred call whose instance stopped is followed on both sides by another, over ARI."""

from __future__ import annotations

import asyncio

from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import TransferStatus, transfer_request
from byot_core.guide_api import GuideApi
from byot_core.services.instances import InstanceLeases
from tests.asterisk.agents import TestAgent
from tests.asterisk.conftest import asterisk_world, eventually
from tests.asterisk.test_calls import finished, mapped
from tests.asterisk.test_instances import another_instance
from tests.support import ACCOUNT, GUIDE_CALL

TARGET = "+14155550199"


async def test_the_target_hanging_up_after_the_takeover_ends_the_call(agent: TestAgent) -> None:
    """Instance b transfers its call and stops; a follows the target's leg too: the target's hang-up ends the call.

    Without following it, the caller would be left alone in the bridge once the target hung up.
    """
    agent.protocol = MediaProtocol.ASTERISK.value
    plan = MediaPlan(agent.url + "/{agent_id}", MediaProtocol.ASTERISK, answer_within=2.0)
    async with asterisk_world(media_plan=plan) as world:
        await mapped(world)
        node = world.nodes[0]
        heir = InstanceLeases(world.app.deps, world.app.calls, lease=0.5, renew_every=0.1)
        async with another_instance(world, "byot-b", media_plan=plan) as b:
            await InstanceLeases(b.deps, b.calls, lease=0.3, renew_every=0.1).renew()
            placed = await GuideApi(b).calls.place(ACCOUNT, GUIDE_CALL)
            await eventually(lambda: agent.calls and node.media.bridges)

            async def talking() -> bool:
                return (await b.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.IN_PROGRESS

            await eventually(talking)
            await b.control.transfer(ACCOUNT, placed.id, transfer_request(TARGET))

            async def joined() -> bool:
                transfers = (await b.calls.get(ACCOUNT, placed.id)).transfers
                return bool(transfers) and transfers[0].status is TransferStatus.ANSWERED

            await eventually(joined)
        # b is gone; a hears nothing of the call but what it follows (its endpoint subscription taken away).
        node.hub.unsubscribe("byot", "endpoint:PJSIP")
        execution = await world.app.calls.get(ACCOUNT, placed.id)
        caller, target = execution.attempts[0].channel_id, execution.transfers[0].legs[0].channel_id
        await eventually(lambda: [set(x.channels) for x in node.media.bridges.values()] == [{caller, target}])
        await asyncio.sleep(0.35)  # b's lease runs out
        report = await heir.take_over()
        assert (report.adopted, report.followed) == (1, 1)
        assert {f"channel:{caller}", f"channel:{target}"} <= node.subscriptions("byot")
        node.remote_hang_up(target)
        ended = await finished(world, placed.id)
        assert (ended.status, ended.transfers[0].status) == (ExecutionStatus.COMPLETED, TransferStatus.COMPLETED)
        assert ended.instance_id == world.app.deps.instance_id
        await eventually(lambda: caller not in node.channels)  # hung up, not left alone in the bridge
