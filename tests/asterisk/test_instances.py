"""Several instances of the library on one storage and the same Asterisk nodes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import byot_core
from byot_core.adapters.asterisk import desired_objects
from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.compare import differences
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.adapters.memory import MemoryAgentDirectory
from byot_core.adapters.system import SystemClock, UlidFactory
from byot_core.domain.trunk import SyncState
from tests.asterisk.conftest import ARI_PASSWORD, AsteriskWorld, asterisk_world
from tests.support import ACCOUNT, IP_TRUNK


@contextlib.asynccontextmanager
async def another_instance(world: AsteriskWorld, app_name: str) -> AsyncIterator[byot_core.Byot]:
    """A second application on the world's storage and nodes, with its own ARI application and its own locks."""
    clients = [AriClient(n.url, "byot", ARI_PASSWORD, app_name, timeout=0.5, first_retry=0.05) for n in world.nodes]
    telephony = AriTelephony(clients)
    app = byot_core.build(
        storage=world.app.deps.storage,
        telephony=telephony,
        agents=MemoryAgentDirectory(),
        secrets=world.app.deps.secrets,
        clock=SystemClock(),
        ids=UlidFactory(),
    )
    events = asyncio.create_task(app.events.run())
    try:
        yield app
    finally:
        events.cancel()
        await asyncio.gather(events, return_exceptions=True)
        await telephony.close()


async def test_two_instances_updating_one_trunk_leave_every_node_at_the_last_version() -> None:
    """Two instances update one trunk at once, 25 times, over a jittery network: both nodes end at the last version."""
    async with (
        asterisk_world(2, run_sync=False, latency=0.002, jitter=0.02) as world,
        another_instance(world, "byot-b") as other,
    ):
        trunk_id = (await world.app.trunks.create(ACCOUNT, IP_TRUNK)).trunk.id

        def gateways(i: int) -> list[dict[str, object]]:
            # Shapes of one to three gateways, so that an older push leaves objects the newer one has not.
            return [{"gateway_address": f"203.0.{i}.{g}", "priority": g} for g in range(1, i % 3 + 2)]

        for round_ in range(25):
            await asyncio.gather(
                world.app.trunks.update(ACCOUNT, trunk_id, {"gateways": gateways(2 * round_)}),
                other.trunks.update(ACCOUNT, trunk_id, {"gateways": gateways(2 * round_ + 1)}),
            )
            stored = (await world.app.trunks.get(ACCOUNT, trunk_id)).trunk
            wanted = {(o.type, o.id): o for o in desired_objects(stored, None)}
            for node in range(2):
                held = world.owned(node)
                assert set(held) == set(wanted), f"round {round_}: node {node} holds another version"
                for key, obj in wanted.items():
                    assert differences(obj, held[key]) == frozenset(), (round_, node, key)
            assert stored.sync_state is SyncState.APPLIED
        assert stored.revision == 51
