"""The Twilio-protocol relay under load: concurrent calls relayed by one process, frames lost, latency, CPU.

Three processes on loopback, so that the figures are the relay's own:

- the fake Asterisk (``media_relay_peers.py asterisk``), whose callers each say a 440 Hz tone for the whole call,
  160 bytes every 20 ms, and which notes when it wrote each frame to the media WebSocket;
- the agents (``media_relay_peers.py agents``), Twilio-protocol servers that note when each ``media`` arrives and
  send every frame straight back (an echo);
- this process: the library (``AriTelephony``, in-memory storage) with a media plan in the ``twilio`` protocol.

All calls arrive at once; after the talking time every caller hangs up. Printed:

- frames relayed per second, both ways together;
- caller → agent: frames the callers said, frames the agents received (lost = the difference);
- agent → caller: frames the agents sent back, frames the callers heard (lost = the difference);
- latency from Asterisk writing a frame to the agent receiving it, through the relay (median and p99), and the same
  without the relay, measured first in the same run with the same calls in Asterisk's own protocol (Asterisk
  connects to the agent itself): the difference is the latency the relay adds;
- CPU of the relay process per call (percent of one core, over the talking time).

Targets, on the project's 2-core machine: 100 concurrent calls, no frame lost, p99 latency added by the relay at most
10 ms.

Usage: ``python benchmarks/media_relay.py`` (100 calls, 20 s of talk), ``--calls N --seconds S``, or ``--quick``
(10 calls, 3 s, no targets).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

import byot_core
from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.adapters.memory import MemoryAgentDirectory, RecordingInboundHandler
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.guide_api import GuideApi
from byot_core.testing import free_port
from media_relay_peers import ACCOUNT, AGENT, PASSWORD, SOURCE, did

#: The program each peer (the fake Asterisk, the agents) runs in.
PEERS = Path(__file__).with_name("media_relay_peers.py")


def start(role: str, *ports: int) -> subprocess.Popen[str]:
    command = [sys.executable, str(PEERS), role, *(str(p) for p in ports)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - this interpreter, this file
    assert process.stdout is not None
    process.stdout.readline()  # "ready"
    return process


async def post(url: str, body: dict[str, Any] | None = None) -> Any:
    """Ask a helper process (``GET`` without a body); its JSON answer."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        method = "POST" if body is not None else "GET"
        async with session.request(method, url, json=body) as response:
            response.raise_for_status()
            return await response.json()


async def relay(calls: int, seconds: float, protocol: MediaProtocol) -> dict[str, float]:
    """Carry ``calls`` calls of ``seconds`` each in ``protocol`` (``asterisk``: no relay); return the figures."""
    ari, control, agents = free_port(), free_port(), free_port()
    processes = [start("asterisk", ari, control), start("agents", agents)]
    telephony = AriTelephony([AriClient(f"http://127.0.0.1:{ari}", "bench", PASSWORD, timeout=10.0)])
    directory = MemoryAgentDirectory()
    directory.register(ACCOUNT, AGENT, telephony_provider="sip-trunk")
    app = byot_core.build(
        telephony=telephony,
        agents=directory,
        inbound_handler=RecordingInboundHandler(),
        media_plan=MediaPlan(
            f"ws://127.0.0.1:{agents}/{'agents' if protocol is MediaProtocol.TWILIO else 'direct'}/{{agent_id}}",
            protocol,
            answer_within=10,
        ),
    )
    events = asyncio.create_task(app.events.run())
    try:
        trunk = await GuideApi(app).trunks.create(ACCOUNT, {
            "name": "bench", "provider": "bench", "auth_type": "ip-based", "inbound_enabled": True,
            "gateways": [{"gateway_address": SOURCE}], "ip_identifiers": [{"ip_address": SOURCE}],
        })  # fmt: skip
        for i in range(calls):
            number = await GuideApi(app).numbers.add(ACCOUNT, trunk.trunk.id, {"phone_number": did(i)})
            await GuideApi(app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
        while not telephony.connected_nodes:  # noqa: ASYNC110 - the event websocket comes up on its own
            await asyncio.sleep(0.02)
        cpu, wall = time.process_time(), time.perf_counter()
        await post(f"http://127.0.0.1:{control}/calls", {"count": calls, "seconds": seconds})
        await asyncio.sleep(seconds + 1.0)  # the talk, and the last echoes' way back
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        connected = telephony.media.active
        asterisk = await post(f"http://127.0.0.1:{control}/hang-up", {})
        agents_report = await post(f"http://127.0.0.1:{agents}/report")
        inside = await relay_figures(app, calls) if protocol is MediaProtocol.TWILIO else {}
    finally:
        events.cancel()
        await asyncio.gather(events, return_exceptions=True)
        await telephony.close()
        for process in processes:
            process.kill()
            process.wait(timeout=30)
    said = calls * round(seconds * 50)
    received = sum(len(v) for v in agents_report["received"].values())
    echoed = sum(agents_report["echoed"].values())
    heard = sum(asterisk["heard"].values())
    delays = []
    for number, sent_at in asterisk["sent"].items():
        arrivals = agents_report["received"].get(number, [])
        delays += [(r - s) * 1000 for s, r in zip(sent_at, arrivals, strict=False)]
    delays.sort()
    return {
        "calls": calls,
        "connected": connected,
        "said": said,
        "received": received,
        "echoed": echoed,
        "heard": heard,
        "frames_per_second": (received + echoed) / seconds,
        "latency_p50": statistics.median(delays) if delays else float("nan"),
        "latency_p99": delays[int(len(delays) * 0.99)] if delays else float("nan"),
        "cpu_per_call": 100 * cpu / wall / calls,
        **inside,
    }


async def relay_figures(app: byot_core.Byot, calls: int) -> dict[str, float]:
    """What the relay itself recorded on each call's execution: late frames, and its own forwarding time."""
    deadline = time.monotonic() + 10
    while True:
        media = [e.media for e in await app.calls.list_for_agent(ACCOUNT, AGENT, limit=calls)]
        recorded = [m for m in media if m is not None and m.added_latency_ms is not None]
        if len(recorded) == calls or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    return {
        "late_frames": sum(m.late_frames or 0 for m in recorded),
        "inside_mean": statistics.fmean(m.added_latency_ms or 0.0 for m in recorded) if recorded else float("nan"),
        "inside_max": max((m.max_added_latency_ms or 0.0 for m in recorded), default=float("nan")),
    }


def report(figures: dict[str, float], direct: dict[str, float], *, targets: bool) -> bool:
    lost_in = figures["said"] - figures["received"]
    lost_out = figures["echoed"] - figures["heard"]
    added_p50 = figures["latency_p50"] - direct["latency_p50"]
    added_p99 = figures["latency_p99"] - direct["latency_p99"]
    print(f"calls relayed at once      {figures['calls']:>8.0f}   (media connected: {figures['connected']:.0f})")
    print(f"frames relayed per second  {figures['frames_per_second']:>8,.0f}   (both ways)")
    print(f"caller → agent             {figures['said']:>8,.0f} said, {figures['received']:,.0f} received, "
          f"{lost_in:,.0f} lost")  # fmt: skip
    print(f"agent → caller             {figures['echoed']:>8,.0f} sent, {figures['heard']:,.0f} heard, "
          f"{lost_out:,.0f} lost")  # fmt: skip
    print(f"Asterisk → agent latency   median {figures['latency_p50']:.2f} ms, p99 {figures['latency_p99']:.2f} ms")
    print(f"without the relay          median {direct['latency_p50']:.2f} ms, p99 {direct['latency_p99']:.2f} ms "
          f"(asterisk protocol, same calls: Asterisk connects to the agent itself; "
          f"{direct['said'] - direct['received']:,.0f} frames lost)")  # fmt: skip
    print(f"added by the relay         median {added_p50:.2f} ms, p99 {added_p99:.2f} ms")
    print(f"inside the relay           mean {figures['inside_mean']:.3f} ms, largest {figures['inside_max']:.2f} ms, "
          f"late frames to callers {figures['late_frames']:.0f}   (as the executions record them)")  # fmt: skip
    print(f"relay CPU per call         {figures['cpu_per_call']:.2f} % of one core "
          f"(without it: {direct['cpu_per_call']:.2f} %)")  # fmt: skip
    if not targets:
        return True
    checks = [
        ("100 concurrent calls relayed", figures["calls"] >= 100 and figures["connected"] == figures["calls"]),
        ("no frame lost either way", lost_in == 0 and lost_out == 0),
        ("p99 latency added by the relay at most 10 ms", added_p99 <= 10.0),
    ]
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true", help="10 calls of 3 s, no targets")
    args = parser.parse_args()
    calls, seconds = (10, 3.0) if args.quick else (args.calls, args.seconds)
    direct = asyncio.run(relay(calls, seconds, MediaProtocol.ASTERISK))
    figures = asyncio.run(relay(calls, seconds, MediaProtocol.TWILIO))
    ok = report(figures, direct, targets=not args.quick)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
