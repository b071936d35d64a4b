"""What a trunk's channel limit costs the inbound routing decision, as a ratio to the same decision without one.

On each storage (memory, SQLite, and PostgreSQL when ``BYOT_TEST_POSTGRES_URL`` names a server), 100 trunks with 10
numbers each, every number mapped to an agent, and 20 calls in progress on every trunk. Measured in one run, the same
calls alternately on trunks without a limit and on trunks with ``channels`` 1,000 (never reached, so every call is
routed either way):

- ``explain``: the decision alone (a read-only unit of work; with a limit, the calls in progress are counted);
- ``handle``: an arriving call routed and recorded (a writing unit of work; with a limit, the trunk is locked and its
  calls counted before the execution is added).

Prints medians and the ratio with/without for each. There is no target: the figure says what the limit costs.

Usage: ``python benchmarks/channel_limit.py``, or ``--quick`` for fewer calls.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import byot_core
from byot_core.adapters.fake_telephony import FakeTelephony
from byot_core.adapters.fernet_secrets import FernetSecretBox, new_key
from byot_core.adapters.memory import MemoryStorage
from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql.scratch import scratch_postgres
from byot_core.domain.events import InboundCallArrived
from byot_core.domain.execution import Direction, Execution
from byot_core.domain.routing import Route
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from byot_core.ports import Storage

ACCOUNT = "bench"
AGENT = "agt-bench"
TRUNKS = 100
NUMBERS_A_TRUNK = 10
LIVE_A_TRUNK = 20


def number_of(trunk: int, i: int) -> str:
    return f"+1555{trunk:03d}{i:04d}"


async def prepare(storage: Storage) -> tuple[byot_core.Byot, list[str], list[str]]:
    """Trunks with and without a limit, their numbers mapped, and calls in progress on each."""
    app = byot_core.build(storage=storage, secrets=FernetSecretBox([new_key()]), telephony=FakeTelephony())
    app.deps.agents.register(ACCOUNT, AGENT, telephony_provider="sip-trunk")  # type: ignore[attr-defined]
    unlimited: list[str] = []
    limited: list[str] = []
    for t in range(TRUNKS):
        body = {
            "name": f"t{t}", "provider": "bench", "auth_type": "userpass", "auth_username": "u",
            "auth_password": "p", "gateways": [{"gateway_address": f"gw{t}.example.com"}], "inbound_enabled": True,
        } | ({"channels": 1000} if t % 2 else {})  # fmt: skip
        trunk = (await GuideApi(app).trunks.create(ACCOUNT, body)).trunk
        for i in range(NUMBERS_A_TRUNK):
            number = await GuideApi(app).numbers.add(ACCOUNT, trunk.id, {"phone_number": number_of(t, i)})
            await GuideApi(app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
            (limited if t % 2 else unlimited).append(number_of(t, i))
        now = app.deps.clock.now()
        async with storage.unit_of_work() as uow:
            for k in range(LIVE_A_TRUNK):
                await uow.executions.add(
                    Execution(
                        id=f"live-{t}-{k}", account_id=ACCOUNT, agent_id=AGENT, direction=Direction.INBOUND,
                        status=ExecutionStatus.IN_PROGRESS, from_number="+1", to_number=number_of(t, 0),
                        created_at=now, updated_at=now, trunk_id=trunk.id,
                    )
                )  # fmt: skip
            await uow.commit()
    return app, unlimited, limited


async def timed(calls: int, action: Callable[[int], Awaitable[object]]) -> float:
    """The median of ``calls`` runs of ``action(i)``, in microseconds."""
    timings = []
    for i in range(calls):
        start = time.perf_counter_ns()
        await action(i)
        timings.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(timings)


async def measure(label: str, storage: Storage, calls: int) -> None:
    app, unlimited, limited = await prepare(storage)
    channels = itertools.count()

    async def explain(numbers: list[str], i: int) -> None:
        decision = await app.inbound.explain(numbers[i % len(numbers)])
        assert isinstance(decision, Route)

    async def handle(numbers: list[str], i: int) -> None:
        arrived = InboundCallArrived(f"ch-{next(channels)}", numbers[i % len(numbers)], caller="+14155550100")
        assert isinstance(await app.inbound.handle_call(arrived), Route)

    rows = []
    for name, action in (("explain", explain), ("handle", handle)):
        without, with_limit = [], []
        for _ in range(3):  # interleaved rounds: the machine's noise falls on both alike
            without.append(await timed(calls, lambda i, a=action: a(unlimited, i)))  # type: ignore[misc]
            with_limit.append(await timed(calls, lambda i, a=action: a(limited, i)))  # type: ignore[misc]
        a, b = statistics.median(without), statistics.median(with_limit)
        rows.append(f"{name} {a:8.1f} µs without, {b:8.1f} µs with a limit: {b / a:.2f}x")
    print(f"{label:<11} " + "   ".join(rows))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    args = parser.parse_args()
    calls = 200 if args.quick else 2000
    await measure("memory", MemoryStorage(), calls)
    with tempfile.TemporaryDirectory() as folder:
        storage = await SqlStorage.open(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", upgrade_schema=True)
        try:
            await measure("SQLite", storage, calls)
        finally:
            await storage.close()
    postgres = os.environ.get("BYOT_TEST_POSTGRES_URL")
    if postgres:
        async with scratch_postgres(postgres, "byot_bench") as url:
            storage = await SqlStorage.open(url, upgrade_schema=True)
            try:
                await measure("PostgreSQL", storage, calls)
            finally:
                await storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
