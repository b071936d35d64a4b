"""Acting on a call in progress (beyond the guide): hang it up, send keys into it, transfer it.

Each use case reads the execution of the calling account and acts on its current channel through telephony; what
follows (the call's end, for a hang-up) is recorded from the events telephony reports, as for any call.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from byot_core.domain import transfer_flow
from byot_core.domain.call_actions import Dial, FailoverPlan, Transition
from byot_core.domain.call_control import CallNotInProgress, dtmf_digits
from byot_core.domain.dialplan import dialled_number, order_gateways, prefer_reachable
from byot_core.domain.errors import CallsPaced, ChannelsFull, ExecutionNotFound
from byot_core.domain.execution import Execution
from byot_core.domain.pacing import MAX_PACING_WAIT
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import TransferInProgress, TransferMode, TransferRequest
from byot_core.domain.trunk import Trunk
from byot_core.ports.storage import UnitOfWork
from byot_core.services.calls import CallService
from byot_core.services.changes import store_change
from byot_core.services.deps import Dependencies
from byot_core.services.destinations import destination_refusal, logged
from byot_core.services.dialling import paced_dial

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

    async def transfer(self, account_id: str, execution_id: str, request: TransferRequest) -> Execution:
        """Transfer an answered call to ``request.to``; returns at once, with the transfer recorded ``dialing``.

        ``bridge``: the target is dialled through the call's trunk (gateways in the trunk's order, reachable ones
        first, failing over as a call does; the trunk's channel limit and pace apply; the transfer's ring timeout,
        else the trunk's). Its progress is recorded on the execution; once it answers, the caller is bridged with it
        and the agent released. ``refer``: the carrier is sent a REFER to the target at the call's gateway (the one
        an outbound call went through, else the trunk's first), and the transfer is done when it ends the call's leg.
        Raises ``ExecutionNotFound``, ``CallNotInProgress`` (409), ``TransferInProgress`` (409),
        ``DestinationNotAllowed`` (403: the target is outside the trunk's or the account's destination policy; nothing
        is dialled and the refusal is counted), ``ChannelsFull`` and ``CallsPaced`` (429, ``bridge`` only).
        """
        now = self.deps.clock.now()
        async with self.deps.storage.unit_of_work() as uow:
            execution = await uow.executions.get(account_id, execution_id)
            if execution is None:
                raise ExecutionNotFound()
            # Read again by channel: that locks the row, so a transfer and the call's events take turns.
            if execution.attempts:
                execution = await uow.executions.find_by_channel(execution.attempts[-1].channel_id) or execution
            if execution.status is not ExecutionStatus.IN_PROGRESS or not execution.attempts:
                raise CallNotInProgress()
            if execution.transfer is not None:
                raise TransferInProgress()
            trunk = await uow.trunks.get_any(execution.trunk_id) if execution.trunk_id else None
            refusal = await destination_refusal(uow, account_id, trunk, request.to, request.to_key)
            if refusal is not None:
                # Only the count is written: the transfer itself leaves nothing behind.
                await uow.accounts.count_refusal(account_id)
                await uow.commit()
                raise logged(account_id, trunk, refusal)
            plan = self._plan(execution, trunk, request)
            if request.mode is TransferMode.REFER and plan.gateways:
                gateway = plan.gateways[0]
                host = f"[{gateway.address}]" if ":" in gateway.address else gateway.address  # an IPv6 literal
                refer_to = f"sip:{plan.dialled}@{host}:{gateway.port}"
                step = transfer_flow.begin_refer(execution, request, refer_to, now)
            else:
                # The caller's own channel is counted already; the target needs one more.
                channels = trunk.channels if trunk is not None and plan.gateways else None
                if channels is not None and await uow.executions.live_on_trunk(execution.trunk_id or "") >= channels:
                    raise ChannelsFull(channels)
                step = transfer_flow.begin(execution, request, plan, self.deps.ids.new_id(), now)
                step = await self._paced(uow, step, trunk, now)
            await store_change(self.deps, uow, execution, step.execution)
        await self.calls.carry_out(step.execution, trunk, step.actions)
        return step.execution

    def _plan(self, execution: Execution, trunk: Trunk | None, request: TransferRequest) -> FailoverPlan:
        """The trunk's gateways for the target, in the order a call uses them, and the number as the trunk sends it.

        A REFER goes to the gateway an outbound call was answered through, when there is one.
        """
        if trunk is None or not trunk.routes_calls:
            return FailoverPlan((), request.to_key)
        draws = None if self.deps.draw is None else [self.deps.draw() for _ in trunk.gateways]
        plan = order_gateways(trunk.gateways, draws)
        down = self.deps.telephony.unreachable_gateways(trunk)
        plan = prefer_reachable(plan, [g.id not in down for g in plan])
        if request.mode is TransferMode.REFER and execution.gateway_id is not None:
            plan = tuple(sorted(plan, key=lambda g: g.id != execution.gateway_id))
        dialled = dialled_number(request.to_key, trunk.policy.outbound_leading_plus_enabled)
        return FailoverPlan(tuple(plan), dialled)

    @staticmethod
    async def _paced(uow: UnitOfWork, step: Transition, trunk: Trunk | None, now: datetime) -> Transition:
        """The step with its target's leg at the trunk's next slot, when the trunk paces its calls."""
        dial = next((a for a in step.actions if isinstance(a, Dial)), None)
        if trunk is None or trunk.calls_per_second is None or dial is None:
            return step
        paced = await paced_dial(uow, step.execution, dial, trunk, now, MAX_PACING_WAIT)
        if paced is None:
            raise CallsPaced(trunk.calls_per_second, int(MAX_PACING_WAIT.total_seconds()))
        return attrs.evolve(step, execution=paced)
