"""Carrying out a transfer's steps with telephony, and recording what telephony could not do.

Used by the call use cases once the execution asking for a step is stored: put a bridged transfer through
(:func:`join`), or send a REFER and watch that the carrier takes the call over (:func:`refer`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from byot_core.domain import transfer_flow
from byot_core.domain.call_actions import Action, Join, Refer, Transition
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.execution import Execution
from byot_core.domain.transfer import TransferMode
from byot_core.services.changes import store_change
from byot_core.services.deps import Dependencies

__all__ = ["REFER_GRACE", "join", "refer"]

log = logging.getLogger(__name__)

#: Seconds, beyond the target's ring timeout, that a carrier is given to take a referred call over.
REFER_GRACE = 10

CarryOut = Callable[[Execution, Sequence[Action]], Awaitable[None]]


async def _record(
    deps: Dependencies, channel_id: str, step: Callable[[Execution, datetime], Transition], carry_out: CarryOut
) -> None:
    """Apply a step to the execution using the channel (locked), store it, and carry out what it asks."""
    async with deps.storage.unit_of_work() as uow:
        execution = await uow.executions.find_by_channel(channel_id)
        if execution is None:
            return
        done = step(execution, deps.clock.now())
        if not done.changed:
            return
        await store_change(deps, uow, execution, done.execution)
    await carry_out(done.execution, done.actions)


async def join(deps: Dependencies, action: Join, carry_out: CarryOut) -> None:
    """Put a bridged transfer through; when telephony cannot, the transfer fails and the target is hung up."""
    try:
        await deps.telephony.join(action.caller_channel_id, action.target_channel_id)
    except TelephonyUnavailable as error:
        log.warning("transfer of %s not put through: %s", action.caller_channel_id, error.message)
        target = action.target_channel_id
        await _record(deps, target, lambda e, now: transfer_flow.not_joined(e, target, now), carry_out)


async def refer(
    deps: Dependencies, execution: Execution, action: Refer, ring_seconds: int, carry_out: CarryOut
) -> None:
    """Send the REFER; a refusal fails the transfer at once, a carrier that never takes the call over fails it later.

    The carrier is given the target's ring timeout and :data:`REFER_GRACE` seconds to end the call's leg (which it
    does once the new call is its own); the caller stays with its agent meanwhile, and after a failure.
    """
    channel = action.channel_id

    def failed(detail: str) -> Callable[[Execution, datetime], Transition]:
        return lambda e, now: transfer_flow.refer_failed(e, detail, now)

    try:
        await deps.telephony.refer(channel, action.refer_to)
    except TelephonyUnavailable as error:
        log.warning("REFER on %s refused: %s", channel, error.message)
        await _record(deps, channel, failed(f"The transfer was refused: {error.message}"), carry_out)
        return
    wait = ring_seconds + REFER_GRACE
    started = execution.transfers[-1].started_at
    text = f"The carrier did not take the call over within {wait} seconds; the caller is still with the agent"

    async def watch() -> None:
        await asyncio.sleep(wait)

        def unless_done(e: Execution, now: datetime) -> Transition:
            transfer = e.transfer
            if transfer is None or transfer.mode is not TransferMode.REFER or transfer.started_at != started:
                return Transition(e, changed=False)
            return transfer_flow.refer_failed(e, text, now)

        await _record(deps, channel, unless_done, carry_out)

    deps.background.spawn(watch(), f"refer-{channel}")
