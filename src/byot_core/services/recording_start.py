"""Starting a call's recording once it is answered and with its agent (see :mod:`byot_core.services.recordings`)."""

from __future__ import annotations

import logging

import attrs

from byot_core.domain.agent import Agent
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.execution import Direction, Execution
from byot_core.domain.recording import Recording, RecordingStatus, recording_name
from byot_core.services.changes import change_by_channel
from byot_core.services.deps import Dependencies

__all__ = ["start_recording"]

log = logging.getLogger(__name__)


def _wanted(deps: Dependencies, execution: Execution, agent: Agent | None) -> bool:
    """Whether the call is to be recorded: placed with ``record``, or an inbound call of an agent that records."""
    if deps.recordings is None:
        return False
    if execution.record or execution.direction is Direction.OUTBOUND:
        return execution.record
    return agent is not None and agent.record_calls


async def start_recording(deps: Dependencies, execution: Execution, channel_id: str, agent: Agent | None) -> None:
    """Start recording an answered call that is to be recorded (its agent's media connected, when it has one).

    ``agent`` is the call's agent as the directory gave it (an inbound call is recorded when its agent records
    calls). A recording that cannot be started is recorded ``failed``; the call goes on.
    """
    if not _wanted(deps, execution, agent):
        return
    name = recording_name(execution.id)
    now = deps.clock.now()
    try:
        await deps.telephony.start_recording(channel_id, name)
        recording = Recording(name, RecordingStatus.RECORDING, now)
    except TelephonyUnavailable as error:
        log.warning("call %s: recording not started: %s", channel_id, error.message)
        recording = Recording(name, RecordingStatus.FAILED, now, detail=f"Not started: {error.message}")
    await change_by_channel(
        deps, channel_id, lambda e: attrs.evolve(e, record=True, recording=recording, updated_at=now)
    )
