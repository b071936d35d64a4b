"""Recording calls (beyond the guide): started once a call is answered and with its agent, kept when it ends.

A call is recorded when it was placed with ``record``, or (inbound) when its agent records calls. Telephony records
it until it ends and reports ``RecordingEnded``; the file is then fetched, kept in the recording store, and deleted
from telephony. The execution says where its recording is at each step.
"""

from __future__ import annotations

import logging

import attrs

from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.events import RecordingEnded
from byot_core.domain.execution import Execution
from byot_core.domain.recording import Recording, RecordingNotFound, RecordingStatus
from byot_core.services.calls import CallService
from byot_core.services.changes import change_by_channel
from byot_core.services.deps import Dependencies

__all__ = ["CallRecordings"]

log = logging.getLogger(__name__)


@attrs.frozen
class CallRecordings:
    """Keeping and reading calls' recordings (they are started by :func:`start_recording`)."""

    deps: Dependencies
    calls: CallService

    async def ended(self, event: RecordingEnded) -> None:
        """Keep a finished recording: fetched from telephony, put in the store, then deleted from telephony.

        Whatever fails on the way is said in the execution's recording (``failed``, and why); a recording that could
        not be kept is left in telephony.
        """
        now = self.deps.clock.now()
        stored: Recording | None = None
        if event.failed is not None:
            detail = f"Telephony could not record the call: {event.failed}"
        else:
            detail, stored = await self._keep(event)
        seconds = event.seconds

        def finished(execution: Execution) -> Execution:
            current = execution.recording
            started = current.started_at if current is not None else now
            recording = stored or Recording(event.name, RecordingStatus.FAILED, started, seconds, detail=detail)
            return attrs.evolve(execution, recording=attrs.evolve(recording, started_at=started), updated_at=now)

        await change_by_channel(self.deps, event.channel_id, finished)

    async def _keep(self, event: RecordingEnded) -> tuple[str, Recording | None]:
        store = self.deps.recordings
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            execution = await uow.executions.find_by_channel(event.channel_id)
        if execution is None or store is None:
            return "The call's record is gone", None
        try:
            data = await self.deps.telephony.recording_file(event.name)
        except TelephonyUnavailable as error:
            log.warning("recording %s not fetched: %s", event.name, error.message)
            return f"Not fetched from telephony: {error.message}", None
        try:
            await store.put(execution.id, data)
        except OSError as error:
            log.warning("recording %s not kept: %s", event.name, error)
            return f"Not kept: {type(error).__name__}", None
        try:
            await self.deps.telephony.delete_recording(event.name)
        except TelephonyUnavailable as error:  # kept already: only a copy is left behind
            log.warning("recording %s kept, but not deleted from telephony: %s", event.name, error.message)
        started = execution.recording.started_at if execution.recording is not None else self.deps.clock.now()
        return "", Recording(event.name, RecordingStatus.STORED, started, event.seconds, size_bytes=len(data))

    async def get(self, account_id: str, execution_id: str) -> bytes:
        """The call's recording (WAV). Raises ``ExecutionNotFound``, and ``RecordingNotFound`` while there is none."""
        execution = await self.calls.get(account_id, execution_id)
        store = self.deps.recordings
        recording = execution.recording
        if store is None or recording is None or recording.status is not RecordingStatus.STORED:
            raise RecordingNotFound()
        data = await store.get(execution.id)
        if data is None:
            raise RecordingNotFound()
        return data
