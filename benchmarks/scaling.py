"""Where one node group stops scaling, measured on the fake Asterisk, and what splitting into groups would cost.

Today every trunk is applied to every Asterisk node. This measures, with fake Asterisk nodes in processes of their
own (real HTTP and websockets on loopback):

1. ARI requests per trunk change, per node: create, a gateway changed, a change Asterisk does not see (the
   description), delete; counted on an in-process fake node.
2. At growing sizes (trunks x nodes): how long pushing new trunks takes, and a reconcile pass with everything in step
   (the pass a restart or the idle timer runs) and a thorough one (hourly). Prints the cost per trunk and node, and
   the ratio of the largest size's cost per trunk and node to the smallest's (the cost should grow linearly).
3. A simulation, from those measured costs, of 100,000 trunks on 20 nodes, as one group and split into 2, 5 and 10
   node groups: objects per node, ARI requests per trunk change, a reconcile pass, how long a restarted node takes
   to get its trunks back, and the qualify (SIP OPTIONS) load on nodes and on each carrier gateway.

Usage: ``python benchmarks/scaling.py`` (about two minutes), or ``--quick`` for a small smoke run. The figures are
the library's side plus loopback: a real Asterisk's own cost per object is not in them (see docs/scaling.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Iterator

import attrs

import byot_core
from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.guide_api import GuideApi
from byot_core.testing.fake_asterisk import FakeAsterisk
from byot_core.testing.fake_asterisk.process import FakeAsteriskProcess
from byot_core.testing.samples import numbered_trunk_body

ACCOUNT = "bench"
PASSWORD = "bench-password"  # noqa: S105 - the fake Asterisk's, on loopback for the run
CONCURRENCY = 16
#: Two gateways: two AORs, two endpoints and an identify.
OBJECTS_A_TRUNK = 5
GATEWAYS_A_TRUNK = 2
QUALIFY_SECONDS = 60  # the trunks' default qualify_frequency
PLATFORM_TRUNKS, PLATFORM_NODES = 100_000, 20


async def requests_per_change() -> dict[str, int]:
    """ARI requests one node gets for each kind of trunk change (an in-process fake, which counts them)."""
    node = FakeAsterisk("bench", PASSWORD)
    await node.start()
    telephony = AriTelephony([AriClient(node.url, "bench", PASSWORD, timeout=10.0)])
    app = byot_core.build(telephony=telephony)
    counts: dict[str, int] = {}
    try:

        async def counted(kind: str, change: object) -> None:
            before = len(node.routes.requests)
            await change  # type: ignore[misc]
            counts[kind] = len(node.routes.requests) - before

        created = await GuideApi(app).trunks.create(ACCOUNT, numbered_trunk_body(1))
        trunk_id = created.trunk.id
        await counted("create", GuideApi(app).trunks.create(ACCOUNT, numbered_trunk_body(2)))
        moved = {"gateways": [{"gateway_address": "10.9.9.9", "priority": 1}, {"gateway_address": "10.9.9.8"}]}
        await counted("gateway changed", GuideApi(app).trunks.update(ACCOUNT, trunk_id, moved))
        await counted("unseen change", GuideApi(app).trunks.update(ACCOUNT, trunk_id, {"description": "night shift"}))
        await counted("delete", app.trunks.delete(ACCOUNT, trunk_id))
    finally:
        await telephony.close()
        await node.stop()
    return counts


@attrs.frozen
class SizeFigures:
    """One size's measured figures."""

    trunks: int
    nodes: int
    create_seconds: float
    reconcile_seconds: float
    thorough_seconds: float

    def per_trunk_node_us(self, seconds: float) -> float:
        """A duration of this size, per trunk and node, in microseconds."""
        return seconds / (self.trunks * self.nodes) * 1e6


@contextlib.contextmanager
def fake_nodes(count: int) -> Iterator[list[FakeAsteriskProcess]]:
    nodes = [FakeAsteriskProcess("bench", PASSWORD) for _ in range(count)]
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(n) for n in nodes]


async def measure_size(trunks: int, nodes: int) -> SizeFigures:
    """Push ``trunks`` new trunks to ``nodes`` nodes, then time an in-step reconcile pass and a thorough one."""
    with fake_nodes(nodes) as running:
        clients = [AriClient(n.url, "bench", PASSWORD, timeout=60.0, connections=CONCURRENCY * 4) for n in running]
        telephony = AriTelephony(clients)
        app = byot_core.build(telephony=telephony)
        try:
            queue = iter(range(trunks))

            async def worker() -> None:
                for i in queue:
                    await GuideApi(app).trunks.create(ACCOUNT, numbered_trunk_body(i))

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            created = time.perf_counter() - start
            start = time.perf_counter()
            report = await app.sync.reconcile()
            reconciled = time.perf_counter() - start
            assert report.ok, report
            assert report.changed == 0, report
            start = time.perf_counter()
            report = await app.sync.reconcile(thorough=True)
            thorough = time.perf_counter() - start
            assert report.ok, report
            assert report.changed == 0, report
        finally:
            await telephony.close()
    return SizeFigures(trunks, nodes, created, reconciled, thorough)


@attrs.frozen
class Layout:
    """The platform split into ``groups`` node groups of equal size, each holding only its own trunks."""

    groups: int

    @property
    def nodes_per_group(self) -> int:
        """Nodes in each group."""
        return PLATFORM_NODES // self.groups

    @property
    def trunks_per_group(self) -> int:
        """Trunks each group holds."""
        return PLATFORM_TRUNKS // self.groups


def simulate(layouts: list[Layout], requests: dict[str, int], cost_us: float, push_us: float) -> None:
    """Print the simulated figures of each layout, from the measured costs."""
    header = (
        f"{'layout':>16} | {'objects/node':>12} | {'ARI req/change':>14} | {'reconcile pass':>14} | "
        f"{'node restart':>12} | {'OPTIONS/s/node':>14} | {'OPTIONS/gw/min':>14}"
    )
    print(header)
    print("-" * len(header))
    for layout in layouts:
        n, t = layout.nodes_per_group, layout.trunks_per_group
        objects = t * OBJECTS_A_TRUNK
        per_change = n * requests["gateway changed"]
        # Each group's instances reconcile their own group; groups run side by side.
        reconcile = t * n * cost_us / 1e6
        restart = t * push_us / 1e6  # a restarted node gets its group's trunks back, one push each
        options_node = t * GATEWAYS_A_TRUNK / QUALIFY_SECONDS
        name = f"{layout.groups} x {n} nodes"
        print(
            f"{name:>16} | {objects:>12,} | {per_change:>14,} | {reconcile:>12,.0f} s | {restart:>10,.0f} s | "
            f"{options_node:>14,.0f} | {n:>14}"
        )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args()
    # The applications here are built on in-memory stand-ins on purpose: their warning says nothing about the run.
    logging.getLogger("byot_core.composition").setLevel(logging.ERROR)
    requests = await requests_per_change()
    print("ARI requests per trunk change, per node: " + ", ".join(f"{k} {v}" for k, v in requests.items()))
    sizes = [(100, 1), (100, 2)] if args.quick else [(500, 1), (2_000, 1), (8_000, 1), (2_000, 2), (2_000, 4)]
    figures = []
    print(f"{'trunks':>7} {'nodes':>5} | {'create':>8} {'µs/trunk·node':>13} | {'reconcile':>9} "
          f"{'µs/trunk·node':>13} | {'thorough':>8} {'µs/trunk·node':>13}")  # fmt: skip
    for trunks, nodes in sizes:
        f = await measure_size(trunks, nodes)
        figures.append(f)
        print(
            f"{trunks:>7,} {nodes:>5} | {f.create_seconds:>7.2f}s {f.per_trunk_node_us(f.create_seconds):>13,.0f} | "
            f"{f.reconcile_seconds:>8.2f}s {f.per_trunk_node_us(f.reconcile_seconds):>13,.0f} | "
            f"{f.thorough_seconds:>7.2f}s {f.per_trunk_node_us(f.thorough_seconds):>13,.0f}"
        )
    one_node = [f for f in figures if f.nodes == 1]
    smallest, largest = one_node[0], one_node[-1]
    growth = largest.per_trunk_node_us(largest.reconcile_seconds) / smallest.per_trunk_node_us(
        smallest.reconcile_seconds
    )
    print(
        f"reconcile cost per trunk and node, {largest.trunks:,} trunks against {smallest.trunks:,}: {growth:.2f}x "
        "(1.00 is linear)"
    )
    widest = max(figures, key=lambda f: (f.nodes, f.trunks))
    cost_us = widest.per_trunk_node_us(widest.reconcile_seconds)
    push_us = largest.per_trunk_node_us(largest.create_seconds)
    print(
        f"\nSimulated: {PLATFORM_TRUNKS:,} trunks, {PLATFORM_NODES} nodes, {OBJECTS_A_TRUNK} objects and "
        f"{GATEWAYS_A_TRUNK} gateways a trunk, qualify every {QUALIFY_SECONDS} s; costs measured above "
        f"({cost_us:,.0f} µs per trunk and node for a reconcile pass, {push_us:,.0f} µs per trunk for a push)"
    )
    simulate([Layout(g) for g in (1, 2, 5, 10)], requests, cost_us, push_us)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
