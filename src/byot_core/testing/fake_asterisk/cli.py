"""Run a fake Asterisk as a process: ``python -m byot_core.testing.fake_asterisk --port 8088``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
from pathlib import Path

from byot_core.testing.fake_asterisk.model import GatewayPlay
from byot_core.testing.fake_asterisk.node import FakeAsterisk

__all__ = ["main"]


def _system_or_test_net(host: str) -> list[str]:
    """Resolve as Asterisk would; a name the system cannot resolve (no network) becomes 192.0.2.1 (TEST-NET-1)."""
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)})
    except OSError:
        return ["192.0.2.1"]


async def _serve(args: argparse.Namespace) -> None:
    node = FakeAsterisk(
        args.user,
        args.password,
        resolve=_system_or_test_net,
        latency=args.latency_ms / 1000,
        default_play=GatewayPlay[args.play.upper().replace("-", "_")],
        port=args.port,
    )
    if args.dialplan:
        node.load_dialplan(Path(args.dialplan).read_text(encoding="utf-8"))  # noqa: ASYNC240 - once, before serving
    await node.start()
    print(f"fake Asterisk: ARI on {node.url} (user {args.user}, application events at /ari/events)", flush=True)
    print("hostnames in identify matches resolve through the system, or to 192.0.2.1 when they cannot", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await node.stop()


def main(argv: list[str] | None = None) -> None:
    """Run a fake Asterisk until interrupted: ``python -m byot_core.testing.fake_asterisk --port 8088``."""
    parser = argparse.ArgumentParser(description="A fake Asterisk speaking ARI, for trying byot without Asterisk.")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--user", default="byot")
    parser.add_argument("--password", default="secret", help="the ARI password to accept (a test double's)")
    parser.add_argument(
        "--play", default="answer-then-bye", choices=[p.name.lower().replace("_", "-") for p in GatewayPlay]
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every REST answer")
    parser.add_argument("--dialplan", default=None, help="an extensions.conf to run inbound calls through")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(_serve(parser.parse_args(argv)))
