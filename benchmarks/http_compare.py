"""``byot serve`` against the least a server can do for the same requests, side by side in one run.

Both servers run on uvicorn, on loopback, each in its own process, first on SQLite, then on PostgreSQL when
``BYOT_TEST_POSTGRES_URL`` names a server (``scripts/postgres.sh start DIR`` prints it):

- ``byot serve`` on a fresh database, with 2,000 trunks created through the API;
- the plain program (``benchmarks/http_plain.py``): Starlette, the bearer key checked with one dictionary read, and
  the trunk's JSON read by primary key (GET) or the posted JSON inserted in one transaction (POST), with the stdlib
  ``sqlite3`` driver in WAL mode and ``synchronous=NORMAL`` as byot uses, or asyncpg with a pool of 10 connections
  as byot has; the same trunks' JSON copied into it.

Load: ``wrk`` (Debian's package; 2 threads, 32 connections, 10 s) on ``GET /sip-trunks/trunks/{id}`` of random
trunks and on ``POST /sip-trunks/trunks`` (userpass, two gateways, unique names); without ``wrk``, a Python load
generator in a second process (32 connections). Prints requests per second and p99 of each, the ratios, and PASS
or FAIL against the targets: GET at least 0.4x the plain program with a p99 at most 3x its p99; POST at least 0.2x
(the guard rails of the SQL adapter on SQLAlchemy's standard engines and pools; see docs/benchmarks.md).

Usage: ``python benchmarks/http_compare.py`` (about a minute a database), ``--database sqlite`` or
``--database postgresql`` for one of them, ``--quick`` for a smoke run without targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from byot_core.adapters.fernet_secrets import new_key
from byot_core.adapters.sql.scratch import scratch_postgres
from byot_core.testing import free_port, running_server
from http_plain import ACCOUNT, KEY

#: The plain program, run in a process of its own.
PLAIN = Path(__file__).with_name("http_plain.py")
TRUNK = {
    "name": "load",
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
# wrk: GET of a random trunk from the list, POST of a trunk with a name no other request used.
_GET_LUA = """
ids = {%s}
request = function()
  return wrk.format("GET", "/sip-trunks/trunks/" .. ids[math.random(#ids)], {["Authorization"] = "Bearer %s"})
end
"""
# Formatted with the body (its name "NAME"), a prefix for the names, and the key. Two loads started in the same second
# draw the same random numbers: loads that run at once against one database need prefixes of their own.
POST_LUA = """
math.randomseed(os.time())  -- names differ from one load to the next, even against the same server
counter = 0
setup = function(thread) thread:set("id", math.random(1, 1000000000)) end
request = function()
  counter = counter + 1
  local body = string.gsub('%s', "NAME", "%s-" .. id .. "-" .. counter)
  return wrk.format("POST", "/sip-trunks/trunks",
    {["Authorization"] = "Bearer %s", ["Content-Type"] = "application/json"}, body)
end
"""


# -- load ----------------------------------------------------------------------------------------------------------


def wrk_ms(text: str) -> float:
    """A latency as ``wrk`` prints it (``850.00us``, ``12.31ms``, ``1.20s``), in milliseconds."""
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, script: str, seconds: float) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) from ``wrk`` with a Lua script."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    command = ["wrk", "-t2", "-c32", f"-d{seconds:g}s", "--latency", "-s", lua.name, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout  # noqa: S603
    os.unlink(lua.name)
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = wrk_ms(re.search(r"99%\s+([0-9.]+(?:us|ms|s))", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} requests failed:\n{out}")
    return rate, p99


async def python_load(url: str, method: str, ids: list[str], seconds: float) -> tuple[float, float]:
    """The fallback generator: 32 connections for ``seconds``; requests per second and p99 (ms)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=limits) as client:

        async def worker(n: int) -> None:
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                start = time.perf_counter()
                if method == "GET":
                    response = await client.get(f"/sip-trunks/trunks/{ids[(n * 7919 + i) % len(ids)]}")
                else:
                    response = await client.post("/sip-trunks/trunks", json=dict(TRUNK, name=f"py-{n}-{i}"))
                response.raise_for_status()
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(worker(n) for n in range(32)))
    latencies.sort()
    return len(latencies) / seconds, latencies[int(len(latencies) * 0.99)] * 1000


def load(url: str, method: str, ids: list[str], seconds: float) -> tuple[float, float]:
    if shutil.which("wrk"):
        if method == "GET":
            return wrk(url, _GET_LUA % (", ".join(f'"{i}"' for i in ids), KEY), seconds)
        return wrk(url, POST_LUA % (json.dumps(dict(TRUNK, name="NAME")), "load", KEY), seconds)
    command = [sys.executable, __file__, "--generate", url, method, str(seconds)]
    done = subprocess.run(command, input="\n".join(ids), capture_output=True, text=True, check=True)  # noqa: S603
    rate, p99 = json.loads(done.stdout)
    return float(rate), float(p99)


# -- the comparison --------------------------------------------------------------------------------------------


async def seed(url: str, count: int) -> list[tuple[str, str]]:
    """``count`` trunks created through byot's API; their ids and JSON."""
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        gate = asyncio.Semaphore(16)

        async def one(i: int) -> tuple[str, str]:
            async with gate:
                response = await client.post("/sip-trunks/trunks", json=dict(TRUNK, name=f"seed {i}"))
                response.raise_for_status()
                return response.json()["id"], response.text

        return list(await asyncio.gather(*(one(i) for i in range(count))))


async def plain_database(folder: Path, postgres: str | None) -> str:
    """The plain program's database, with its one table: a SQLite file, or the PostgreSQL database named."""
    if postgres is None:
        path = folder / "plain.sqlite3"
        with sqlite3.connect(path) as conn:
            conn.execute(_PLAIN_TABLE)
        return str(path)
    import asyncpg

    conn = await asyncpg.connect(postgres, timeout=10)
    try:
        await conn.execute(_PLAIN_TABLE)
    finally:
        await conn.close()
    return postgres


async def copy_into_plain(database: str, trunks: list[tuple[str, str]]) -> None:
    """The trunks byot answered, as the plain program's rows."""
    rows = [(i, ACCOUNT, text) for i, text in trunks]
    if not database.startswith("postgresql://"):
        with sqlite3.connect(database) as conn:
            conn.executemany("INSERT INTO trunks VALUES (?, ?, ?)", rows)
        return
    import asyncpg

    conn = await asyncpg.connect(database, timeout=10)
    try:
        await conn.executemany("INSERT INTO trunks VALUES ($1, $2, $3)", rows)
    finally:
        await conn.close()


_PLAIN_TABLE = "CREATE TABLE trunks (id TEXT PRIMARY KEY, account TEXT NOT NULL, body TEXT NOT NULL)"


def compare(
    label: str, byot_url: str, plain_db: str, folder: Path, count: int, seconds: float
) -> dict[tuple[str, str], tuple[float, float]]:
    """Both programs on one database kind, loaded in turn: each operation's requests per second and p99."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")} | {
        "BYOT_API_KEYS": f"{KEY}={ACCOUNT}",
        "BYOT_SECRET_KEYS": new_key(),  # PostgreSQL needs them given (SQLite would make a key file)
    }
    port = free_port()
    plain = subprocess.Popen([sys.executable, str(PLAIN), plain_db, str(port)])  # noqa: S603
    results: dict[tuple[str, str], tuple[float, float]] = {}
    try:
        with running_server(byot_url, env=env, cwd=folder) as server:
            trunks = asyncio.run(seed(server.url, count))
            asyncio.run(copy_into_plain(plain_db, trunks))
            ids = [i for i, _ in trunks]
            plain_url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(f"{plain_url}/sip-trunks/trunks/{ids[0]}", headers={"Authorization": f"Bearer {KEY}"})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for method in ("GET", "POST"):
                results[("plain", method)] = load(plain_url, method, ids, seconds)
                results[("byot", method)] = load(server.url, method, ids, seconds)
    finally:
        plain.terminate()
        plain.wait(timeout=30)
    print(f"{label}")
    print(f"{'operation':<10} {'byot serve':>28} {'plain program':>28} {'ratio':>7}")
    for method, name in (("GET", "GET one"), ("POST", "POST one")):
        (b_rate, b_p99), (p_rate, p_p99) = results[("byot", method)], results[("plain", method)]
        print(
            f"{name:<10} {b_rate:>10,.0f} req/s  p99 {b_p99:>7.1f} ms {p_rate:>10,.0f} req/s  p99 {p_p99:>7.1f} ms"
            f" {b_rate / p_rate:>7.2f}"
        )
    return results


def verdicts(label: str, results: dict[tuple[str, str], tuple[float, float]]) -> bool:
    """PASS or FAIL for each target; whether all passed."""
    (g_rate, g_p99), (pg_rate, pg_p99) = results[("byot", "GET")], results[("plain", "GET")]
    (c_rate, _), (pc_rate, _) = results[("byot", "POST")], results[("plain", "POST")]
    ok = True
    for passed, text in (
        (g_rate >= 0.4 * pg_rate, f"GET one trunk at least 0.4x the plain program: {g_rate / pg_rate:.2f}x"),
        (g_p99 <= 3 * pg_p99, f"GET p99 at most 3x the plain program's: {g_p99 / pg_p99:.2f}x"),
        (c_rate >= 0.2 * pc_rate, f"POST a trunk at least 0.2x the plain program's insert: {c_rate / pc_rate:.2f}x"),
    ):
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'}  {label}: {text}")
    return ok


async def run(quick: bool, databases: tuple[str, ...] = ("sqlite", "postgresql")) -> int:
    count, seconds = (200, 2.0) if quick else (2000, 10.0)
    print(
        f"load: {'wrk, 2 threads' if shutil.which('wrk') else 'Python generator'}, 32 connections, {seconds:g} s each"
    )
    ok = True
    folder = Path(tempfile.mkdtemp(prefix="byot-compare-"))
    try:
        if "sqlite" in databases:
            plain_db = await plain_database(folder, None)
            byot_db = f"sqlite:///{folder / 'byot.sqlite3'}"
            # The comparison blocks (it starts processes and waits for wrk): it runs in a thread of its own.
            results = await asyncio.to_thread(compare, "SQLite", byot_db, plain_db, folder, count, seconds)
            ok &= quick or verdicts("SQLite", results)
        server = os.environ.get("BYOT_TEST_POSTGRES_URL")
        if "postgresql" in databases and server is None:
            print("PostgreSQL skipped: BYOT_TEST_POSTGRES_URL is not set")
        if "postgresql" in databases and server is not None:
            async with (
                scratch_postgres(server, "byot_compare") as byot_url,
                scratch_postgres(server, "byot_compare_plain") as plain_url,
            ):
                # asyncpg's own form of the URL (without SQLAlchemy's "+asyncpg").
                plain_dsn = make_url(plain_url).set(drivername="postgresql").render_as_string(hide_password=False)
                plain_db = await plain_database(folder, plain_dsn)
                results = await asyncio.to_thread(compare, "PostgreSQL", byot_url, plain_db, folder, count, seconds)
                ok &= quick or verdicts("PostgreSQL", results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, short loads, no targets")
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql"), action="append", help="only this one (default: both)"
    )
    parser.add_argument("--generate", nargs=3, metavar=("URL", "METHOD", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        ids = sys.stdin.read().split()
        print(json.dumps(asyncio.run(python_load(args.generate[0], args.generate[1], ids, float(args.generate[2])))))
        return 0
    return asyncio.run(run(args.quick, tuple(args.database or ("sqlite", "postgresql"))))


if __name__ == "__main__":
    sys.exit(main())
