"""Trunks recently read or written, by id and revision, so that a read of an unchanged trunk is one short row.

A trunk's row carries a revision that every change raises (its gateways and identifiers included). An entry is used
only while its revision is the stored one, so a change made by another process is seen as soon as it commits. The
one field of a trunk that changes without a new revision is its sync state, which readers read with the revision.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import attrs

from byot_core.domain.routing import allowed_sources
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import Gateway, IpIdentifier, SyncState, Trunk

__all__ = ["AggregateCache", "Children", "SeenTrunks", "cached_trunk"]

#: A trunk's gateways and IP identifiers, in their stored order.
Children = tuple[tuple[Gateway, ...], tuple[IpIdentifier, ...]]

#: Trunk states (revision and sync state, or ``None`` for no live trunk) a read-only unit of work has already read, by
#: (account, trunk id): the numbers of a trunk are read with its state, so the trunk itself needs no statement of its
#: own when it is cached at that revision.
SeenTrunks = dict[tuple[str, str], tuple[int, str] | None]


@attrs.define
class _Entry:
    """What is known of a trunk at one revision."""

    revision: int
    children: Children
    #: The trunk itself as stored at ``revision``, when it was read or written whole.
    trunk: Trunk | None = None
    #: Its allowed sources, built the first time routing asks (not at every create's commit).
    sources: SourceMatcher | None = None


class AggregateCache:
    """Trunks and their children by trunk id and revision, the least recently used dropped past ``capacity``.

    Shared by every unit of work of one storage; a lock keeps it whole should an embedder use it from several threads.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _current(self, trunk_id: str, revision: int) -> _Entry | None:
        """The entry of ``trunk_id`` if it is of ``revision`` (the caller holds the lock), marked as just used."""
        entry = self._entries.get(trunk_id)
        if entry is None or entry.revision != revision:
            return None
        self._entries.move_to_end(trunk_id)
        return entry

    def get(self, trunk_id: str, revision: int) -> Children | None:
        """The cached children of this revision, if any."""
        with self._lock:
            entry = self._current(trunk_id, revision)
            return entry.children if entry is not None else None

    def trunk(self, trunk_id: str, revision: int) -> Trunk | None:
        """The cached trunk of this revision (with its children), if the trunk itself is cached."""
        with self._lock:
            entry = self._current(trunk_id, revision)
            if entry is None or entry.trunk is None:
                return None
            if entry.trunk.revision != revision:
                # Cached as written, with the revision it was written at: stored at the next one.
                entry.trunk = attrs.evolve(entry.trunk, revision=revision)
            return entry.trunk

    def sources(self, trunk: Trunk) -> SourceMatcher:
        """The source matcher of ``trunk`` (as stored at its revision), built once a revision."""
        with self._lock:
            entry = self._current(trunk.id, trunk.revision)
            if entry is not None and entry.sources is not None:
                return entry.sources
        sources = allowed_sources(trunk)  # outside the lock: it may take a while for a trunk with many CIDRs
        with self._lock:
            entry = self._current(trunk.id, trunk.revision)
            if entry is not None:
                entry.sources = sources
        return sources

    def put(self, trunk_id: str, revision: int, children: Children, trunk: Trunk | None = None) -> None:
        """Remember a trunk's children at a revision, and the trunk itself if given.

        ``trunk`` is the trunk as stored at ``revision``, or as a unit of work wrote it (then with the revision it
        was written at, which storage raised to ``revision``).
        """
        with self._lock:
            entry = self._entries.get(trunk_id)
            if entry is not None and entry.revision == revision:
                # A matcher already built for this revision stays: the trunk's gateways and identifiers are the same.
                entry.children, entry.trunk = children, trunk
            else:
                self._entries[trunk_id] = _Entry(revision, children, trunk)
            self._entries.move_to_end(trunk_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)


def cached_trunk(cache: AggregateCache, trunk_id: str, revision: int, sync_state: str) -> Trunk | None:
    """The trunk cached at ``revision``, with ``sync_state`` as stored (the one field changed without a revision)."""
    trunk = cache.trunk(trunk_id, revision)
    if trunk is None:
        return None
    if trunk.sync_state.value != sync_state:
        trunk = attrs.evolve(trunk, sync_state=SyncState(sync_state))
        cache.put(trunk.id, revision, (trunk.gateways, trunk.ip_identifiers), trunk)
    return trunk
