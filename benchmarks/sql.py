"""SQL storage: trunk and number creation through the use cases, and the routing decision, on SQLite and PostgreSQL.

Creates 10,000 trunks and 100,000 numbers (10 a trunk) through ``app.trunks.create`` and ``app.numbers.add``, eight
requests at a time as a busy service would, and prints operations per second; then times ``app.inbound.explain`` at
100,000 numbers over 3,000 calls to random numbers, twice: the first pass finds most trunks' gateways and identifiers
uncached (one more statement each), the second is the steady state of a serving process, which keeps them cached until
the trunk changes. Target: steady-state median at most 0.5 ms on both databases. Then, through the reference HTTP app
in process: ``GET /sip-trunks/trunks`` of an account with 100 trunks, and ``GET .../numbers`` of a trunk with 1,000
numbers (figures only; a test asserts both take the same statements whatever their size).

PostgreSQL is used when ``BYOT_TEST_POSTGRES_URL`` is set (``scripts/postgres.sh start DIR`` prints it), in a fresh
database. Usage: ``python benchmarks/sql.py`` (several minutes), or ``--quick`` for a small smoke run without targets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

import byot_core
from byot_core.adapters.fernet_secrets import FernetSecretBox, new_key
from byot_core.adapters.http import create_app
from byot_core.adapters.http.auth import ApiKeys, hash_key
from byot_core.adapters.memory import MemoryAgentDirectory
from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql.scratch import scratch_postgres
from byot_core.domain.routing import Route
from byot_core.guide_api import GuideApi

ACCOUNT = "bench"
CONCURRENCY = 8


async def in_parallel(count: int, make: Callable[[int], Awaitable[object]]) -> float:
    """Run ``make(i)`` for i in range(count), CONCURRENCY at a time; return operations per second."""
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            await make(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return count / (time.perf_counter() - start)


def trunk_body(i: int) -> dict[str, object]:
    return {
        "name": f"trunk {i}",
        "provider": "bench",
        "auth_type": "ip-based",
        "gateways": [{"gateway_address": f"10.{i >> 8 & 255}.{i & 255}.1"}],
        "ip_identifiers": [{"ip_address": f"10.{i >> 8 & 255}.{i & 255}.0/24"}],
        "inbound_enabled": True,
    }


def number_of(i: int) -> str:
    return f"+1{200 + i // 10_000_000:03d}{i % 10_000_000:07d}"


async def listings(label: str, app: byot_core.Byot) -> None:
    """Time the two listings through the reference HTTP app, in process: 100 trunks, and a trunk's 1,000 numbers."""
    account, key = "listing", "bk-listing"
    bulky = await GuideApi(app).trunks.create(
        account, {**trunk_body(0), "phone_numbers": [{"phone_number": f"+1300{i:07d}"} for i in range(1000)]}
    )
    for i in range(1, 100):
        await GuideApi(app).trunks.create(account, trunk_body(i))
    api = create_app(app, keys=ApiKeys({hash_key(key): account}), agents=MemoryAgentDirectory())
    transport = httpx.ASGITransport(app=api)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
        for name, path, size in (
            ("GET /sip-trunks/trunks", "/sip-trunks/trunks", 100),
            ("GET /sip-trunks/trunks/{id}/numbers", f"/sip-trunks/trunks/{bulky.trunk.id}/numbers", 1000),
        ):
            timings = []
            for _ in range(200):
                start = time.perf_counter_ns()
                response = await client.get(path)
                timings.append((time.perf_counter_ns() - start) / 1e6)
                assert len(response.json()) == size, response.text[:200]
            median, p99 = statistics.median(timings), statistics.quantiles(timings, n=100)[98]
            print(f"{label:<10} {name} ({size:,} items, in process): median {median:.2f} ms, p99 {p99:.2f} ms")


async def run(label: str, url: str, trunks: int, numbers: int, with_targets: bool) -> bool:
    storage = await SqlStorage.open(url, upgrade_schema=True)
    app = byot_core.build(storage=storage, secrets=FernetSecretBox([new_key()]))
    try:
        trunk_ids: list[str] = [""] * trunks

        async def create(i: int) -> None:
            trunk_ids[i] = (await GuideApi(app).trunks.create(ACCOUNT, trunk_body(i))).trunk.id

        trunk_rate = await in_parallel(trunks, create)
        number_ids: list[str] = [""] * numbers

        async def add(i: int) -> None:
            number_ids[i] = (
                await GuideApi(app).numbers.add(ACCOUNT, trunk_ids[i % trunks], {"phone_number": number_of(i)})
            ).id

        number_rate = await in_parallel(numbers, add)
        agent = "agent-1"
        app.deps.agents.register(ACCOUNT, agent)  # type: ignore[attr-defined]
        rng = random.Random(3)
        for i in rng.sample(range(numbers), min(numbers, 2000)):
            await GuideApi(app).inbound.setup(ACCOUNT, {"agent_id": agent, "phone_number_id": number_ids[i]})
        calls = []
        for _ in range(3000):
            i = rng.randrange(numbers)
            trunk = i % trunks
            calls.append((number_of(i), f"10.{trunk >> 8 & 255}.{trunk & 255}.9"))
        passes = []
        routed = 0
        for _ in range(2):
            timings = []
            routed = 0
            for called, source in calls:
                start = time.perf_counter_ns()
                decision = await app.inbound.explain(called, source)
                timings.append((time.perf_counter_ns() - start) / 1e6)
                routed += isinstance(decision, Route)
            passes.append((statistics.median(timings), statistics.quantiles(timings, n=100)[98]))
        (cold, cold_p99), (median, p99) = passes
        print(
            f"{label:<10} {trunks:>7,} trunks {trunk_rate:>6,.0f}/s  {numbers:>8,} numbers {number_rate:>6,.0f}/s"
            f"  routing: first pass median {cold:.3f} ms (p99 {cold_p99:.3f}), steady median {median:.3f} ms"
            f" (p99 {p99:.3f})  [{routed} of {len(calls)} calls routed to an agent]"
        )
        await listings(label, app)
        if not with_targets:
            return True
        ok = median <= 0.5
        verdict = "PASS" if ok else "FAIL"
        print(f"{verdict}  {label}: steady-state routing median at {numbers:,} numbers <= 0.5 ms: {median:.3f} ms")
        return ok
    finally:
        await storage.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, no targets (a smoke run)")
    args = parser.parse_args()
    trunks, numbers = (100, 1_000) if args.quick else (10_000, 100_000)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(
            await run("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}", trunks, numbers, not args.quick)
        )
    postgres = os.environ.get("BYOT_TEST_POSTGRES_URL")
    if postgres:
        async with scratch_postgres(postgres, "byot_bench") as url:
            results.append(await run("PostgreSQL", url, trunks, numbers, not args.quick))
    else:
        print("PostgreSQL skipped: BYOT_TEST_POSTGRES_URL is not set")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
