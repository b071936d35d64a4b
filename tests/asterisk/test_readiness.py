"""Readiness over the fake Asterisk: not ready while a node's event stream is down, ready again once it is back."""

from __future__ import annotations

from tests.asterisk.conftest import asterisk_world, eventually


async def test_a_stopped_node_makes_the_instance_not_ready_until_it_returns() -> None:
    """The stopped node is named; the other node alone does not make the instance ready."""
    async with asterisk_world(2) as world:
        assert (await world.app.health.ready()).ready
        stopped = world.nodes[1]
        name = world.telephony.clients[1].node
        await stopped.stop()

        async def not_ready() -> bool:
            return (await world.app.health.ready()).problems == (
                f"Asterisk {name}: the ARI event stream is not connected",
            )

        await eventually(not_ready, within=3.0)
        await stopped.start()

        async def ready() -> bool:
            return (await world.app.health.ready()).ready

        await eventually(ready, within=5.0)
