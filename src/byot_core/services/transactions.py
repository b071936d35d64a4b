"""Running a unit of work again when the database refused it for a conflicting one.

Storage adapters raise :class:`~byot_core.domain.errors.StorageBusy` for a deadlock or a serialization failure:
the transaction lost to another and left nothing behind. A use case that writes runs its unit of work through
:func:`in_transaction`, which tries it again (three tries, with a short jittered pause) before letting the error
reach the caller as a 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from byot_core.backoff import Backoff
from byot_core.domain.errors import StorageBusy
from byot_core.ports.storage import Storage, UnitOfWork

__all__ = ["TRIES", "in_transaction"]

T = TypeVar("T")
#: How many times a unit of work is tried before :class:`StorageBusy` reaches the caller.
TRIES = 3


async def in_transaction(storage: Storage, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run ``work`` in a unit of work and commit it; on :class:`StorageBusy`, run it again in a fresh one.

    ``work`` must do nothing but storage calls: it may run more than once.
    """
    pause = Backoff(0.01, 0.1)
    for attempt in range(1, TRIES + 1):
        try:
            async with storage.unit_of_work() as uow:
                result = await work(uow)
                await uow.commit()
            return result
        except StorageBusy:
            if attempt == TRIES:
                raise
            await asyncio.sleep(pause.next())
    raise AssertionError("unreachable: the last try returns or raises")
