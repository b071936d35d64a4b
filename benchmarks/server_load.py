"""The reference server under load: requests per second and latency of create-trunk and get-trunk.

Starts ``byot serve`` on a fresh SQLite file (and on a fresh PostgreSQL database when ``BYOT_TEST_POSTGRES_URL`` is
set), then runs the load generator in a second process (this script with ``--generate``): 16 concurrent clients on
loopback, first creating trunks, then getting random ones. Prints requests per second, median and p99.

Usage: ``python benchmarks/server_load.py`` (about two minutes), or ``--quick`` for a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from byot_core.adapters.fernet_secrets import new_key
from byot_core.adapters.sql.engine import normalise_url
from byot_core.testing import running_server

KEY = "bn-benchmark-key"
CONCURRENCY = 16


def trunk_body(i: int) -> dict[str, Any]:
    return {
        "name": f"load {i} {uuid.uuid4().hex[:6]}",
        "provider": "bench",
        "auth_type": "userpass",
        "auth_username": "user",
        "auth_password": "secret",
        "gateways": [
            {"gateway_address": "sip.example.com", "priority": 1},
            {"gateway_address": "10.0.0.2", "priority": 2},
        ],
        "inbound_enabled": True,
    }


async def generate(url: str, count: int) -> dict[str, Any]:
    """The load generator: ``count`` creates, then ``count`` gets, CONCURRENCY at a time."""
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=limits) as client:
        ids: list[str] = []

        async def run(make: Any) -> dict[str, float]:
            queue = iter(range(count))
            latencies: list[float] = []
            failures = 0

            async def worker() -> None:
                nonlocal failures
                for i in queue:
                    start = time.perf_counter()
                    response = await make(i)
                    latencies.append((time.perf_counter() - start) * 1000)
                    failures += response.status_code >= 400

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - start
            return {
                "rps": count / elapsed,
                "median_ms": statistics.median(latencies),
                "p99_ms": statistics.quantiles(latencies, n=100)[98],
                "failures": failures,
            }

        async def create(i: int) -> httpx.Response:
            response = await client.post("/sip-trunks/trunks", json=trunk_body(i))
            if response.status_code == 201:
                ids.append(response.json()["id"])
            return response

        rng = random.Random(5)

        async def get(i: int) -> httpx.Response:
            return await client.get(f"/sip-trunks/trunks/{rng.choice(ids)}")

        created = await run(create)
        fetched = await run(get)
    return {"create": created, "get": fetched}


def measure(label: str, database_url: str, count: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    env.update({"BYOT_API_KEYS": f"{KEY}=bench", "BYOT_SECRET_KEYS": new_key()})
    with running_server(database_url, env=env) as server:
        generator = [sys.executable, __file__, "--generate", server.url, "--count", str(count)]
        output = subprocess.run(generator, capture_output=True, text=True, check=True, timeout=900)  # noqa: S603
        results = json.loads(output.stdout)
    for operation, figures in results.items():
        print(
            f"{label:<10} {operation:<7} {figures['rps']:>7,.0f} requests/s   median {figures['median_ms']:6.2f} ms"
            f"   p99 {figures['p99_ms']:6.2f} ms   ({count} requests, {CONCURRENCY} concurrent,"
            f" {figures['failures']} failed)"
        )


async def postgres_database(base: str) -> tuple[str, str]:
    name = f"byot_http_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f"CREATE DATABASE {name}"))
    await engine.dispose()
    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), name


async def drop_postgres(base: str, name: str) -> None:
    engine = create_async_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--generate", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=2000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(asyncio.run(generate(args.generate, args.count))))
        return 0
    count = 100 if args.quick else args.count
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite", f"sqlite:///{Path(folder) / 'http.sqlite3'}", count)
    base = os.environ.get("BYOT_TEST_POSTGRES_URL")
    if base:
        url, name = asyncio.run(postgres_database(base))
        try:
            measure("PostgreSQL", url, count)
        finally:
            asyncio.run(drop_postgres(base, name))
    else:
        print("PostgreSQL skipped: BYOT_TEST_POSTGRES_URL is not set")
    return 0


if __name__ == "__main__":
    sys.exit(main())
