"""Properties of the write path as a state machine: whatever it accepts never makes inbound routing ambiguous.

Creates (either account), adds in any spelling, (de)activations, deletes, removals and routing lookups, in any order
Hypothesis chooses, on memory and on SQLite storage: after every step no DID has two live holders, and a DID that
has one is never routed as unknown.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from byot_core import ByotError
from byot_core.adapters.sql import SqlStorage
from byot_core.domain.routing import Rejection, RejectReason
from byot_core.guide_api import GuideApi
from byot_core.ports.storage import Storage
from tests.backends import migrate
from tests.support import ACCOUNT, OTHER_ACCOUNT, USERPASS_TRUNK, body, make_world

T = TypeVar("T")
SPELLINGS = {
    "919876543210": ["+919876543210", "919876543210", "+91 98765-43210"],
    "15550001111": ["+15550001111", "1 555 000 1111"],
    "442079460000": ["+44 020 7946 0000", "442079460000"],
}
KEYS = sorted(SPELLINGS)
_TEMPLATE: Path | None = None


def sqlite_template() -> Path:
    """One migrated SQLite file per session; each run of the machine works on a copy of it."""
    global _TEMPLATE
    if _TEMPLATE is None:
        folder = Path(tempfile.mkdtemp(prefix="byot-uniqueness-"))
        _TEMPLATE = folder / "template.sqlite3"
        asyncio.run(migrate(f"sqlite:///{_TEMPLATE}"))
    return _TEMPLATE


class DidHolders(RuleBasedStateMachine):
    """The write path driven at random; the invariant is checked after every step."""

    backend = "memory"
    trunks = Bundle("trunks")
    numbers = Bundle("numbers")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder: Path | None = None
        self.storage: Storage | None = None
        if self.backend == "sqlite":
            self.folder = Path(tempfile.mkdtemp(prefix="byot-uniqueness-run-"))
            shutil.copy(sqlite_template(), self.folder / "byot.sqlite3")
            self.storage = self.run(SqlStorage.open(f"sqlite:///{self.folder / 'byot.sqlite3'}"))
        self.world = make_world(storage=self.storage)

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def attempt(self, work: Coroutine[Any, Any, T]) -> T | None:
        """Run a use case; a refusal (a ByotError) is an answer, not a failure."""
        try:
            return self.run(work)
        except ByotError:
            return None

    @rule(target=trunks, account=st.sampled_from([ACCOUNT, OTHER_ACCOUNT]), name=st.integers(0, 3))
    def create(self, account: str, name: int) -> Any:
        created = self.attempt(GuideApi(self.world.app).trunks.create(account, body(USERPASS_TRUNK, name=f"t{name}")))
        return multiple() if created is None else (account, created.trunk.id)

    @rule(target=numbers, trunk=trunks, key=st.sampled_from(KEYS), spelling=st.integers(0, 2))
    def add(self, trunk: tuple[str, str], key: str, spelling: int) -> Any:
        text = SPELLINGS[key][spelling % len(SPELLINGS[key])]
        number = self.attempt(GuideApi(self.world.app).numbers.add(*trunk, {"phone_number": text}))
        return multiple() if number is None else (trunk[0], trunk[1], number.id)

    @rule(trunk=trunks, active=st.booleans())
    def set_active(self, trunk: tuple[str, str], active: bool) -> None:
        self.attempt(GuideApi(self.world.app).trunks.update(*trunk, {"is_active": active}))

    @rule(trunk=trunks)
    def delete(self, trunk: tuple[str, str]) -> None:
        self.attempt(self.world.app.trunks.delete(*trunk))

    @rule(number=numbers)
    def remove(self, number: tuple[str, str, str]) -> None:
        self.attempt(self.world.app.numbers.remove(*number))

    @rule(key=st.sampled_from(KEYS))
    def route(self, key: str) -> None:
        decision = self.run(self.world.app.inbound.explain(key))
        unknown = isinstance(decision, Rejection) and decision.reason is RejectReason.UNKNOWN_NUMBER
        assert not (unknown and self.holders(key) > 0), f"{key} has a holder but routes as unknown"

    def holders(self, key: str) -> int:
        async def count() -> int:
            async with self.world.storage.unit_of_work() as uow:
                return sum(1 for c in await uow.numbers.routing_candidates(key) if c.trunk.routes_calls)

        return self.run(count())

    @invariant()
    def no_did_is_held_twice(self) -> None:
        for key in KEYS:
            assert self.holders(key) <= 1, f"{key} has two live holders"

    def teardown(self) -> None:
        if isinstance(self.storage, SqlStorage):
            self.run(self.storage.close())
        self.loop.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class DidHoldersOnSqlite(DidHolders):
    """The same machine on SQLite: the uniqueness the database enforces, not only the one in memory."""

    backend = "sqlite"


TestNoDidIsEverHeldTwiceInMemory = DidHolders.TestCase
TestNoDidIsEverHeldTwiceInMemory.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)
TestNoDidIsEverHeldTwiceOnSqlite = DidHoldersOnSqlite.TestCase
TestNoDidIsEverHeldTwiceOnSqlite.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
