"""The Asterisk nodes the adapter talks to: their clients, which are connected now, and their gateways' health."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.health import GatewayHealth

__all__ = ["AriNodes"]


class AriNodes:
    """One :class:`AriClient` per node, all for the same Stasis application.

    A node is connected while its event websocket is up: only then can its application take calls, and only then is
    it asked for the endpoint subscription (:class:`GatewayHealth`).
    """

    def __init__(self, clients: Sequence[AriClient]) -> None:
        if not clients:
            raise ValueError("at least one Asterisk node is needed")
        self.clients = tuple(clients)
        self.health = GatewayHealth()
        self._connected: set[str] = set()
        self._turn = itertools.count()

    @property
    def app(self) -> str:
        """The Stasis application's name."""
        return self.clients[0].app

    @property
    def connected(self) -> frozenset[str]:
        """The nodes whose event websocket is up now."""
        return frozenset(self._connected)

    def up(self, client: AriClient) -> None:
        """The node's websocket (re)connected."""
        self._connected.add(client.node)
        self.health.watch(client)

    def down(self, node: str) -> None:
        """The node's websocket was lost."""
        self._connected.discard(node)
        self.health.forget(node)

    def pushed(self, client: AriClient) -> None:
        """Configuration reached the node: its first endpoint makes the endpoint event source exist."""
        if client.node in self._connected:
            self.health.watch(client)

    def in_turn(self) -> list[AriClient]:
        """Every node, connected ones first, taking turns among them from one call to the next."""
        start = next(self._turn)
        ring = [self.clients[(start + i) % len(self.clients)] for i in range(len(self.clients))]
        return [c for c in ring if c.node in self._connected] + [c for c in ring if c.node not in self._connected]

    async def close(self) -> None:
        """Stop background work and close every node's HTTP session."""
        await self.health.close()
        for client in self.clients:
            await client.close()
