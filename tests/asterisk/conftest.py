"""An application on fake Asterisk nodes over real HTTP and websockets, with its event loop running."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

import byot_core
from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.pjsip import gateway_object_ids
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.adapters.memory import (
    MemoryAgentDirectory,
    MemorySecretBox,
    MemoryStorage,
    RecordingInboundHandler,
    RecordingOutboundHandler,
)
from byot_core.adapters.recording_stores import MemoryRecordingStore
from byot_core.adapters.system import SystemClock, UlidFactory
from byot_core.domain.media import MediaPlan
from byot_core.testing.fake_asterisk import FakeAsterisk
from tests.asterisk.agents import TestAgent
from tests.support import ACCOUNT, AGENT

ARI_PASSWORD = "p@ss&w#rd:%41 ü"  # every character that breaks credentials put into a URL
# The guide's sample gateways, as a resolver would answer for them.
HOSTS = {
    "sip.zadarma.com": ["185.45.152.42"],
    "21467306465797919.zt.plivo.com": ["15.207.90.192"],
}


def resolve(host: str) -> list[str]:
    return HOSTS[host]


async def eventually(check: Callable[[], Any], within: float = 5.0) -> None:
    """Wait until ``check()`` (or what it returns, when awaitable) is truthy: events travel over a websocket."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@attrs.define
class AsteriskWorld:
    """The application, its fake Asterisk nodes and what they are wired with."""

    app: byot_core.Byot
    nodes: list[FakeAsterisk]
    telephony: AriTelephony
    handler: RecordingInboundHandler
    outbound: RecordingOutboundHandler
    tasks: list[asyncio.Task[None]]

    async def connected(self) -> None:
        """Wait until the library reports every running node connected (its event websocket up)."""
        await eventually(lambda: all("byot" in n.connected_apps() for n in self.nodes if n.running))
        live = {c.node for c, n in zip(self.telephony.clients, self.nodes, strict=True) if n.running}
        await eventually(lambda: self.telephony.connected_nodes >= live)

    async def watching(self) -> None:
        """Wait until every running node sends the application its endpoints' health reports."""
        await eventually(lambda: all("endpoint:PJSIP" in n.subscriptions() for n in self.nodes if n.running))

    async def reported_down(self, trunk_id: str, position: int) -> bool:
        """Whether the gateway at this place of the trunk's order (its ``-gw<position>`` objects) is reported down."""
        trunk = (await self.app.trunks.get(ACCOUNT, trunk_id)).trunk
        ids = {name: gateway for gateway, name in gateway_object_ids(trunk).items()}
        return ids[f"byot-{trunk_id}-gw{position}"] in self.telephony.unreachable_gateways(trunk)

    def owned(self, node: int = 0) -> dict[tuple[str, str], dict[str, str]]:
        return self.nodes[node].owned()


@contextlib.asynccontextmanager
async def asterisk_world(
    count: int = 1,
    *,
    run_sync: bool = True,
    client: dict[str, float] | None = None,
    sync: dict[str, float] | None = None,
    media_plan: MediaPlan | None = None,
    record_calls: bool = False,
    **fake: Any,
) -> AsyncIterator[AsteriskWorld]:
    """Fake nodes, an application on them, and its loops; ``client`` and ``sync`` override their timings.

    ``record_calls`` makes the agent record its inbound calls.
    """
    nodes = [FakeAsterisk("byot", ARI_PASSWORD, resolve=resolve, **fake) for _ in range(count)]
    for node in nodes:
        await node.start()
    timing = {"timeout": 0.5, "heartbeat": 1.0, "first_retry": 0.05, "max_retry": 0.2} | (client or {})
    clients = [
        AriClient(
            n.url,
            "byot",
            ARI_PASSWORD,
            "byot",
            timeout=timing["timeout"],
            heartbeat=timing["heartbeat"],
            first_retry=timing["first_retry"],
            max_retry=timing["max_retry"],
        )
        for n in nodes
    ]
    telephony = AriTelephony(clients)
    agents, handler, outbound = MemoryAgentDirectory(), RecordingInboundHandler(), RecordingOutboundHandler()
    app = byot_core.build(
        storage=MemoryStorage(),
        telephony=telephony,
        agents=agents,
        secrets=MemorySecretBox(),
        clock=SystemClock(),
        ids=UlidFactory(),
        inbound_handler=handler,
        outbound_handler=outbound,
        media_plan=media_plan,
        recordings=MemoryRecordingStore(),
    )
    agents.register(ACCOUNT, AGENT, telephony_provider="sip-trunk", record_calls=record_calls)
    tasks = [asyncio.create_task(app.events.run())]
    if run_sync:
        loop = {"first_retry": 0.05, "max_retry": 0.2, "idle": 30.0} | (sync or {})
        run = app.sync.run(first_retry=loop["first_retry"], max_retry=loop["max_retry"], idle=loop["idle"])
        tasks.append(asyncio.create_task(run))
    world = AsteriskWorld(app, nodes, telephony, handler, outbound, tasks)
    try:
        await world.connected()
        yield world
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await telephony.close()
        for node in nodes:
            await node.stop()


@pytest.fixture
async def world() -> AsyncIterator[AsteriskWorld]:
    """One fake Asterisk node."""
    async with asterisk_world() as opened:
        yield opened


@pytest.fixture
async def two_nodes() -> AsyncIterator[AsteriskWorld]:
    """Two fake Asterisk nodes."""
    async with asterisk_world(2) as opened:
        yield opened


@pytest.fixture
async def agent() -> AsyncIterator[TestAgent]:
    """An agent's media server on loopback (Twilio's protocol unless the test sets another)."""
    server = TestAgent()
    await server.start()
    yield server
    await server.stop()
