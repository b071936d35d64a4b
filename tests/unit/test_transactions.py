"""A unit of work the database refused for a conflicting one is tried again, then reported as a 503."""

from __future__ import annotations

from typing import Any

import pytest

from byot_core.adapters.memory import MemoryStorage
from byot_core.domain.errors import StorageBusy
from byot_core.ports.storage import UnitOfWork
from byot_core.services.transactions import TRIES, in_transaction
from byot_core.testing import sample_trunk
from byot_core.web import http_status


class Contended(MemoryStorage):
    """Memory storage whose first ``busy`` commits lose to a conflicting transaction."""

    def __init__(self, busy: int) -> None:
        super().__init__()
        self.busy = busy
        self.commits = 0

    def unit_of_work(self, *, read_only: bool = False, snapshot: bool = True) -> Any:
        uow = super().unit_of_work(read_only=read_only, snapshot=snapshot)
        commit = uow.commit

        async def contended_commit() -> None:
            self.commits += 1
            if self.commits <= self.busy:
                raise StorageBusy()
            await commit()

        uow.commit = contended_commit  # type: ignore[method-assign]
        return uow


async def add_one(uow: UnitOfWork) -> str:
    await uow.trunks.add(sample_trunk("t1"))
    return "stored"


async def test_a_conflict_is_tried_again_until_it_goes_through() -> None:
    """Two lost commits, then the third: the work is stored once, nothing of the lost tries is left."""
    storage = Contended(busy=TRIES - 1)
    assert await in_transaction(storage, add_one) == "stored"
    assert storage.commits == TRIES
    async with storage.unit_of_work(read_only=True) as uow:
        assert await uow.trunks.all_ids() == ["t1"]


async def test_a_conflict_on_every_try_is_a_503_with_nothing_written() -> None:
    """Every try lost: StorageBusy reaches the caller (HTTP 503, code storage_busy), and nothing is stored."""
    storage = Contended(busy=TRIES)
    with pytest.raises(StorageBusy) as busy:
        await in_transaction(storage, add_one)
    assert (http_status(busy.value), busy.value.code) == (503, "storage_busy")
    async with storage.unit_of_work(read_only=True) as uow:
        assert list(await uow.trunks.all_ids()) == []
