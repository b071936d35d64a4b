"""Two ``byot serve`` on one SQLite file, both creating trunks at once: how they share SQLite's one write lock.

Each server is loaded with ``POST /sip-trunks/trunks`` (userpass, two gateways, names its own) by ``wrk`` (Debian's
package; 1 thread, 16 connections each, both at once), or without ``wrk`` by a Python generator in this process.
Prints each server's creates a second and p99, and fails if a request failed. A server waiting for the lock the
other holds asks for it every half millisecond (``docs/decisions.md``); with SQLite's own busy handler, the p99 was
0.3 to 1.2 s here.

Usage: ``python benchmarks/sqlite_processes.py`` (about 20 s), ``--quick`` for a 2 s smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from byot_core.testing import running_server
from http_compare import POST_LUA, TRUNK, wrk_ms  # the same request and wrk script as the HTTP comparison
from http_plain import KEY


def _wrk_both(urls: list[str], seconds: float, folder: Path) -> list[tuple[float, float, int]]:
    """Both loads at once with ``wrk``: each one's requests per second, p99 (ms) and failed requests."""
    runs = []
    for index, url in enumerate(urls):
        script = folder / f"post{index}.lua"
        script.write_text(POST_LUA % (json.dumps(dict(TRUNK, name="NAME")), f"p{index}", KEY))
        command = ["wrk", "-t1", "-c16", f"-d{seconds:g}s", "--latency", "-s", str(script), url]
        # wrk with fixed arguments and a script written here: nothing comes from outside.
        runs.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True))  # noqa: S603
    results = []
    for run in runs:
        out = run.communicate(timeout=seconds + 60)[0]
        rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
        p99 = wrk_ms(re.search(r"99%\s+([0-9.]+(?:us|ms|s))", out).group(1))  # type: ignore[union-attr]
        failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        results.append((rate, p99, int(failed.group(1)) if failed else 0))
    return results


async def _python_both(urls: list[str], seconds: float) -> list[tuple[float, float, int]]:
    """Both loads at once from this process (16 connections each), when ``wrk`` is not installed."""

    async def one(index: int, url: str) -> tuple[float, float, int]:
        latencies: list[float] = []
        failed = 0
        deadline = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=limits) as client:

            async def worker(n: int) -> None:
                nonlocal failed
                i = 0
                while time.perf_counter() < deadline:
                    i += 1
                    start = time.perf_counter()
                    answer = await client.post("/sip-trunks/trunks", json=dict(TRUNK, name=f"p{index}-{n}-{i}"))
                    latencies.append(time.perf_counter() - start)
                    failed += answer.status_code != 201

            await asyncio.gather(*(worker(n) for n in range(16)))
        latencies.sort()
        return len(latencies) / seconds, latencies[int(len(latencies) * 0.99)] * 1000, failed

    return list(await asyncio.gather(*(one(i, url) for i, url in enumerate(urls))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a 2 s smoke run")
    args = parser.parse_args()
    seconds = 2.0 if args.quick else 10.0
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")} | {"BYOT_API_KEYS": f"{KEY}=bench"}
    with tempfile.TemporaryDirectory() as directory, ExitStack() as servers:
        folder = Path(directory)
        database = f"sqlite:///{folder / 'byot.sqlite3'}"
        # One after the other: the first makes the database and the secret key file beside it, the second uses them.
        urls = [servers.enter_context(running_server(database, env=env, cwd=folder)).url for _ in range(2)]
        generator = "wrk, 1 thread" if shutil.which("wrk") else "Python generator"
        print(f"two byot serve on one SQLite file; load: {generator}, 16 connections each, {seconds:g} s, at once")
        if shutil.which("wrk"):
            results = _wrk_both([f"{url}/sip-trunks/trunks" for url in urls], seconds, folder)
        else:
            results = asyncio.run(_python_both(urls, seconds))
    for index, (rate, p99, failed) in enumerate(results):
        print(f"server {index + 1}: {rate:8,.0f} creates/s   p99 {p99:8.1f} ms   failed {failed}")
    print(f"together: {sum(rate for rate, _, _ in results):,.0f} creates/s")
    return 1 if any(failed for _, _, failed in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
