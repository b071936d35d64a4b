"""The in-memory storage's state, and the journal that undoes a unit of work left without commit."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from byot_core.domain.callbacks import CallbackEvent, SigningKeys
from byot_core.domain.destinations import DestinationPolicy
from byot_core.domain.execution import Execution
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.sources import SourceMatcher
from byot_core.domain.trunk import Trunk
from byot_core.ports.storage import ReadOnlyUnitOfWork

__all__ = ["Journal", "State", "Through"]

_ABSENT: Any = object()


class State:
    """The stored data and its indexes.

    - ``names``: (account, trunk name key) → trunk id, for live trunks;
    - ``holders``: canonical DID → number id, for live numbers on active trunks (at most one, platform-wide);
    - ``on_trunk``: (trunk id, canonical DID) → number id, for live numbers (no DID twice on one trunk);
    - ``by_key``: canonical DID → its live numbers by id, on any trunk (what routing reads: the numbers themselves, so
      that a call reads one index entry, as a database reads a covering index).
    """

    def __init__(self) -> None:
        self.trunks: dict[str, Trunk] = {}
        self.numbers: dict[str, PhoneNumber] = {}
        self.executions: dict[str, Execution] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.holders: dict[str, str] = {}
        self.on_trunk: dict[tuple[str, str], str] = {}
        self.by_key: dict[str, dict[str, PhoneNumber]] = {}
        self.by_trunk: dict[str, dict[str, None]] = {}
        self.by_channel: dict[str, str] = {}
        self.by_agent: dict[tuple[str, str], dict[str, None]] = {}
        #: Each paced trunk's next free attempt slot.
        self.pacing: dict[str, datetime] = {}
        #: Executions not yet ended, by trunk (the calls in progress that a channel limit counts).
        self.live_on_trunk: dict[str, dict[str, None]] = {}
        #: Each instance's lease: when it runs out.
        self.leases: dict[str, datetime] = {}
        #: Each account's destination policy (absent: the default), and its count of calls refused by it.
        self.destinations: dict[str, DestinationPolicy] = {}
        self.refusals: dict[str, int] = {}
        #: Each account's sealed callback secrets.
        self.callback_keys: dict[str, SigningKeys] = {}
        #: Status callbacks by id, and until when a claimer holds each.
        self.outbox: dict[str, CallbackEvent] = {}
        self.outbox_leases: dict[str, datetime] = {}
        #: Why each trunk's last recorded push failed.
        self.sync_errors: dict[str, str | None] = {}
        # Derived, rebuilt on demand; dropped whenever a trunk changes or a transaction rolls back.
        self.sources: dict[str, SourceMatcher] = {}


class Journal:
    """Records each change to a mapping so that it can be undone, newest first."""

    def __init__(self, *, read_only: bool = False) -> None:
        self.entries: list[tuple[MutableMapping[Any, Any], Any, Any]] = []
        self.read_only = read_only

    def writable(self) -> None:
        """Raise :class:`ReadOnlyUnitOfWork` if the unit of work this journal belongs to promised only to read."""
        if self.read_only:
            raise ReadOnlyUnitOfWork("this unit of work was opened read-only")

    def set(self, mapping: MutableMapping[Any, Any], key: Any, value: Any) -> None:
        """Set ``mapping[key]``, remembering what was there."""
        self.writable()
        self.entries.append((mapping, key, mapping.get(key, _ABSENT)))
        mapping[key] = value

    def delete(self, mapping: MutableMapping[Any, Any], key: Any) -> None:
        """Delete ``mapping[key]`` if present, remembering it."""
        self.writable()
        if key in mapping:
            self.entries.append((mapping, key, mapping[key]))
            del mapping[key]

    def add_to(self, index: dict[Any, dict[str, Any]], key: Any, member: str, value: Any = None) -> None:
        """Add ``member`` (with ``value``) to the index entry ``key`` (made if needed), journaled."""
        members = index.get(key)
        if members is None:
            members = {}
            self.set(index, key, members)
        self.set(members, member, value)

    def remove_from(self, index: dict[Any, dict[str, Any]], key: Any, member: str) -> None:
        """Remove ``member`` from the index entry ``key`` (dropped when empty), journaled."""
        members = index.get(key)
        if members is not None:
            self.delete(members, member)
            if not members:
                self.delete(index, key)

    def undo(self) -> None:
        """Put back everything changed since the journal began, newest first."""
        for mapping, key, old in reversed(self.entries):
            if old is _ABSENT:
                mapping.pop(key, None)
            else:
                mapping[key] = old
        self.entries.clear()


class Through:
    """What every repository reads and writes through: the state, and its unit of work's journal."""

    __slots__ = ("journal", "state")

    def __init__(self, state: State, journal: Journal) -> None:
        self.state = state
        self.journal = journal
