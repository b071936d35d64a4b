"""Starting a call's recording once it is answered and with its agent (see :mod:`byot_core.services.recordings`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs

from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.execution import Direction, Execution
from byot_core.domain.recording import Recording, RecordingStatus, recording_name
from byot_core.services.deps import Dependencies

__all__ = ["start_recording", "store_change"]

log = logging.getLogger(__name__)


async def _wanted(deps: Dependencies, execution: Execution) -> bool:
    """Whether the call is to be recorded: placed with ``record``, or an inbound call of an agent that records."""
    if deps.recordings is None:
        return False
    if execution.record or execution.direction is Direction.OUTBOUND:
        return execution.record
    agent = await deps.agents.get(execution.account_id, execution.agent_id)
    return agent is not None and agent.record_calls


async def start_recording(deps: Dependencies, execution: Execution, channel_id: str) -> None:
    """Start recording an answered call that is to be recorded (its agent's media connected, when it has one).

    A recording that cannot be started is recorded ``failed``; the call goes on.
    """
    if not await _wanted(deps, execution):
        return
    name = recording_name(execution.id)
    now = deps.clock.now()
    try:
        await deps.telephony.start_recording(channel_id, name)
        recording = Recording(name, RecordingStatus.RECORDING, now)
    except TelephonyUnavailable as error:
        log.warning("call %s: recording not started: %s", channel_id, error.message)
        recording = Recording(name, RecordingStatus.FAILED, now, detail=f"Not started: {error.message}")
    await store_change(deps, channel_id, lambda e: attrs.evolve(e, record=True, recording=recording, updated_at=now))


async def store_change(deps: Dependencies, channel_id: str, change: Callable[[Execution], Execution]) -> None:
    """Change the execution using the channel (its row locked), if there is one."""
    async with deps.storage.unit_of_work() as uow:
        execution = await uow.executions.find_by_channel(channel_id)
        if execution is None:
            return
        await uow.executions.update(change(execution))
        await uow.commit()
