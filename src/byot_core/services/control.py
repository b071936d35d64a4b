"""Acting on a call in progress (beyond the guide): hang it up, send keys into it.

Each use case reads the execution of the calling account and acts on its current channel through telephony; what
follows (the call's end, for a hang-up) is recorded from the events telephony reports, as for any call.
"""

from __future__ import annotations

import attrs

from byot_core.domain.call_control import CallNotInProgress, dtmf_digits
from byot_core.domain.execution import Execution
from byot_core.domain.status import ExecutionStatus
from byot_core.services.calls import CallService
from byot_core.services.deps import Dependencies

__all__ = ["CallControl"]


@attrs.frozen
class CallControl:
    """Call control use cases, scoped to the calling account."""

    deps: Dependencies
    calls: CallService

    async def hang_up(self, account_id: str, execution_id: str) -> Execution:
        """End the call's current channel; a call that already ended is left as it is (idempotent).

        Returns the execution as it was read; its status follows from the events telephony reports. Raises
        ``ExecutionNotFound``, and ``TelephonyUnavailable`` when telephony cannot be asked.
        """
        execution = await self.calls.get(account_id, execution_id)
        if not execution.status.is_terminal and execution.attempts:
            await self.deps.telephony.hang_up(execution.attempts[-1].channel_id)
        return execution

    async def send_dtmf(self, account_id: str, execution_id: str, digits: str) -> Execution:
        """Play DTMF to the far end of an answered call (``w``: a half-second pause).

        Raises ``ValidationFailed`` for digits outside ``0-9*#A-Dw`` or more than 64 of them, ``ExecutionNotFound``,
        ``CallNotInProgress`` (409) for a call not answered yet or already ended, and ``TelephonyUnavailable``.
        """
        checked = dtmf_digits(digits)
        execution = await self.calls.get(account_id, execution_id)
        if execution.status is not ExecutionStatus.IN_PROGRESS or not execution.attempts:
            raise CallNotInProgress()
        await self.deps.telephony.send_dtmf(execution.attempts[-1].channel_id, checked)
        return execution
