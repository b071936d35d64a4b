"""Properties of the write path: whatever it accepts never makes inbound routing ambiguous."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from byot_core import ByotError
from byot_core.domain.routing import Rejection, RejectReason
from tests.support import ACCOUNT, OTHER_ACCOUNT, USERPASS_TRUNK, body, make_world

KEYS = ["919876543210", "15550001111", "442079460000"]
SPELLINGS = {
    "919876543210": ["+919876543210", "919876543210", "+91 98765-43210"],
    "15550001111": ["+15550001111", "1 555 000 1111"],
    "442079460000": ["+44 020 7946 0000", "442079460000"],
}
operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from([ACCOUNT, OTHER_ACCOUNT]), st.integers(0, 3)),
        st.tuples(st.just("add"), st.integers(0, 7), st.sampled_from(KEYS), st.integers(0, 2)),
        st.tuples(st.just("active"), st.integers(0, 7), st.booleans()),
        st.tuples(st.just("delete"), st.integers(0, 7)),
        st.tuples(st.just("remove"), st.integers(0, 7)),
        st.tuples(st.just("route"), st.sampled_from(KEYS)),
    ),
    max_size=25,
)


async def run(ops: list[tuple[Any, ...]]) -> None:
    world = make_world()
    trunks: list[tuple[str, str]] = []
    numbers: list[tuple[str, str, str]] = []
    for op in ops:
        try:
            if op[0] == "create":
                created = await world.app.trunks.create(op[1], body(USERPASS_TRUNK, name=f"t{op[2]}"))
                trunks.append((op[1], created.trunk.id))
            elif op[0] == "add" and trunks:
                account, trunk_id = trunks[op[1] % len(trunks)]
                spelling = SPELLINGS[op[2]][op[3] % len(SPELLINGS[op[2]])]
                number = await world.app.numbers.add(account, trunk_id, {"phone_number": spelling})
                numbers.append((account, trunk_id, number.id))
            elif op[0] == "active" and trunks:
                account, trunk_id = trunks[op[1] % len(trunks)]
                await world.app.trunks.update(account, trunk_id, {"is_active": op[2]})
            elif op[0] == "delete" and trunks:
                account, trunk_id = trunks[op[1] % len(trunks)]
                await world.app.trunks.delete(account, trunk_id)
            elif op[0] == "remove" and numbers:
                await world.app.numbers.remove(*numbers[op[1] % len(numbers)])
            elif op[0] == "route":
                decision = await world.app.inbound.explain(op[1])
                assert not (
                    isinstance(decision, Rejection)
                    and decision.reason is RejectReason.UNKNOWN_NUMBER
                    and await holders(world, op[1]) > 0
                )
        except ByotError:
            pass
        for key in KEYS:
            assert await holders(world, key) <= 1, f"{key} held twice after {op}"


async def holders(world: Any, key: str) -> int:
    async with world.storage.unit_of_work() as uow:
        return sum(1 for c in await uow.numbers.routing_candidates(key) if c.trunk.routes_calls)


@settings(max_examples=150)
@given(operations)
def test_no_did_is_ever_held_twice(ops: list[tuple[Any, ...]]) -> None:
    """Whatever the write path accepts, no DID ever has two holders, so routing is never ambiguous.

    Operations: creates, adds (any spelling, any account), (de)activations, deletes and removals, in any order.
    """
    asyncio.run(run(ops))
