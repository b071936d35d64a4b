"""Use cases for outbound calls and executions: place a call with failover, follow its events, read it back.

The execution's life is the domain's state machine (:mod:`byot_core.domain.call_flow`); these use cases load and
store executions around it and carry out what it asks for (dial a gateway, hand an answered call to its agent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import attrs

from byot_core.domain import call_flow, takeover
from byot_core.domain.agent import SIP_TRUNK_PROVIDER, Agent
from byot_core.domain.call_actions import Action, Dial, HandOver, HangUp, Join, Refer, Transition
from byot_core.domain.call_flow import ExecutionEvent
from byot_core.domain.call_request import CallRequest, call_request
from byot_core.domain.destinations import DestinationNotAllowed
from byot_core.domain.dialplan import order_gateways, prefer_reachable
from byot_core.domain.errors import (
    AgentNotFound,
    CallRefused,
    CallsPaced,
    CapacityExceeded,
    ChannelsFull,
    ExecutionNotFound,
    TelephonyUnavailable,
)
from byot_core.domain.events import CallEnded
from byot_core.domain.execution import Direction, Execution
from byot_core.domain.pacing import MAX_PACING_WAIT
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.telephony import ChannelNow, OriginateRequest
from byot_core.domain.trunk import Trunk
from byot_core.services import handover, transfer_steps
from byot_core.services.changes import store_change
from byot_core.services.deps import Dependencies
from byot_core.services.destinations import counted, destination_refusal
from byot_core.services.dialling import dial_start, failover_plan, originate_request, paced_dial
from byot_core.services.recording_start import start_recording

__all__ = ["CallService"]

log = logging.getLogger(__name__)


@attrs.frozen
class CallService:
    """Outbound call and execution use cases."""

    deps: Dependencies

    async def place(self, account_id: str, call: CallRequest) -> Execution:
        """Place an outbound call from a DID on one of the account's active trunks.

        ``call`` is checked here (the guide's body is read into one by :func:`byot_core.guide.read_call`).
        Checks, in order: the request; the agent exists in the account (``AgentNotFound``) and uses ``sip-trunk``;
        ``from_number`` is a live, active number on an active trunk of the account (``CallRefused``); the recipient
        is a destination the trunk's and the account's policy allow (``DestinationNotAllowed``, counted); the balance
        (an execution in ``balance-low`` is recorded and returned, nothing is dialled). Then the first gateway of the
        plan is dialled; the returned execution is ``initiated`` (or already ``failed`` if no gateway was reachable).
        """
        try:
            return await self._place(account_id, call)
        except (CallRefused, CapacityExceeded, DestinationNotAllowed) as error:
            self.deps.metrics.call_refused("outbound", error.code)
            raise

    async def _place(self, account_id: str, call: CallRequest) -> Execution:
        request = call_request(
            call.agent_id,
            call.recipient_number,
            call.from_number,
            recipient_name=call.recipient_name,
            default_region=self.deps.default_region,
            ring_timeout_seconds=call.ring_timeout_seconds,
            record=call.record,
            status_callback_url=call.status_callback_url,
        )
        agent = await self.deps.agents.get(account_id, request.agent_id)
        if agent is None:
            raise AgentNotFound()
        if agent.telephony_provider != SIP_TRUNK_PROVIDER:
            raise CallRefused(
                "Agent's telephony_provider must be 'sip-trunk' to call through a SIP trunk",
                code="agent_not_sip_trunk",
            )
        async with self.deps.storage.unit_of_work(read_only=True, snapshot=False) as uow:
            candidates = await uow.numbers.routing_candidates(request.from_key)
            owned = [c for c in candidates if c.number.account_id == account_id and c.trunk.routes_calls]
            if not owned:
                raise CallRefused(
                    "from_number is not registered on an active SIP trunk of this account",
                    code="from_number_not_registered",
                )
            number, trunk = owned[0].number, owned[0].trunk
            if not number.is_active:
                raise CallRefused("from_number is not active", code="from_number_inactive")
            refusal = await destination_refusal(uow, account_id, trunk, request.recipient_number, request.recipient_key)
        if refusal is not None:
            raise await counted(self.deps, account_id, trunk, refusal)
        # The balance service is outside storage: ask it with no transaction open.
        allowed = await self.deps.balance.allows_call(account_id, agent.id)
        draws = None if self.deps.draw is None else [self.deps.draw() for _ in trunk.gateways]
        plan = order_gateways(trunk.gateways, draws)
        # Gateways that health checks report down are tried last, not first.
        down = self.deps.telephony.unreachable_gateways(trunk)
        plan = prefer_reachable(plan, [g.id not in down for g in plan])
        now = self.deps.clock.now()
        async with self.deps.storage.unit_of_work() as uow:
            # Counted inside the unit of work that adds the call: the count locks the trunk for every process.
            if (
                allowed
                and trunk.channels is not None
                and await uow.executions.live_on_trunk(trunk.id) >= trunk.channels
            ):
                raise ChannelsFull(trunk.channels)
            execution = Execution(
                id=self.deps.ids.new_id(),
                account_id=account_id,
                agent_id=agent.id,
                direction=Direction.OUTBOUND,
                status=ExecutionStatus.INITIATED if allowed else ExecutionStatus.BALANCE_LOW,
                from_number=request.from_number,
                to_number=request.recipient_number,
                recipient_name=request.recipient_name,
                trunk_id=trunk.id,
                phone_number_id=number.id,
                gateway_plan=tuple(g.id for g in plan),
                ring_timeout_seconds=request.ring_timeout_seconds,
                record=request.record,
                status_callback_url=request.status_callback_url or agent.status_callback_url,
                created_at=now,
                updated_at=now,
                ended_at=None if allowed else now,
                instance_id=self.deps.instance_id,
            )
            step = call_flow.start(
                execution, failover_plan(execution, trunk, self.deps.default_region), self.deps.ids.new_id(), now
            )
            if trunk.calls_per_second is not None and step.actions:
                # A new call waits a bounded time for its slot; beyond it, it is refused and nothing is recorded.
                dial = next(a for a in step.actions if isinstance(a, Dial))
                paced = await paced_dial(uow, step.execution, dial, trunk, now, MAX_PACING_WAIT)
                if paced is None:
                    raise CallsPaced(trunk.calls_per_second, int(MAX_PACING_WAIT.total_seconds()))
                step = attrs.evolve(step, execution=paced)
            await store_change(self.deps, uow, None, step.execution)
        await self.carry_out(step.execution, trunk, step.actions)
        return await self.get(account_id, execution.id)

    async def carry_out(self, execution: Execution, trunk: Trunk | None, actions: Sequence[Action]) -> None:
        """Do what a call's state machine asked, once the execution that asked for it is stored."""
        for action in actions:
            if isinstance(action, Dial) and trunk is not None:
                request = originate_request(execution, action, trunk, self.deps.default_region)
                wait = (dial_start(execution, action) - self.deps.clock.now()).total_seconds()
                if wait > 0:
                    # Paced: dialled at its slot, without holding up the request or other calls' events.
                    self.deps.background.spawn(self._originate_later(wait, request), f"paced-{action.channel_id}")
                else:
                    await self._originate(request)
            elif isinstance(action, HandOver):
                if self.deps.media is not None and self.deps.media_plan is not None:
                    # Connecting media waits on the agent and on Asterisk: never hold up other calls' events for it.
                    name = f"media-{action.channel_id}"
                    self.deps.background.spawn(self._connect_and_hand_over(execution, action.channel_id), name)
                else:
                    # An outbound call: whether it is recorded was said when it was placed, not by its agent.
                    await start_recording(self.deps, execution, action.channel_id, None)
                    await handover.hand_over(self.deps, execution, action.channel_id)
            elif isinstance(action, HangUp):
                await self._hang_up_quietly(action.channel_id, action.q850_cause)
            elif isinstance(action, Join):
                await transfer_steps.join(self.deps, action, self._carry_on)
            elif isinstance(action, Refer):
                transfer = execution.transfers[-1]
                ring = transfer.ring_timeout_seconds or (trunk.policy.ring_timeout_seconds if trunk else 60)
                await transfer_steps.refer(self.deps, execution, action, ring, self._carry_on)

    async def _carry_on(self, execution: Execution, actions: Sequence[Action]) -> None:
        await self.carry_out(execution, None, actions)

    async def _originate_later(self, wait: float, request: OriginateRequest) -> None:
        await asyncio.sleep(wait)
        await self._originate(request)

    async def _originate(self, request: OriginateRequest) -> None:
        """Start an attempt; a telephony that cannot even take the request counts as a route failure."""
        try:
            await self.deps.telephony.originate(request)
        except TelephonyUnavailable as error:
            log.warning("originate on %s failed: %s", request.channel_id, error.message)
            await self.handle_event(CallEnded(request.channel_id, cause_text="originate failed"))

    async def get(self, account_id: str, execution_id: str) -> Execution:
        """An execution of the account. Raises ``ExecutionNotFound``."""
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            execution = await uow.executions.get(account_id, execution_id)
        if execution is None:
            raise ExecutionNotFound()
        return execution

    async def list_for_agent(self, account_id: str, agent_id: str, limit: int = 100) -> Sequence[Execution]:
        """An agent's executions, inbound and outbound, newest first. Raises ``AgentNotFound``."""
        if await self.deps.agents.get(account_id, agent_id) is None:
            raise AgentNotFound()
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            return await uow.executions.list_for_agent(account_id, agent_id, limit)

    async def handle_event(self, event: ExecutionEvent) -> None:
        """Apply a call event to its execution. Unknown channels, duplicates and late events change nothing."""
        async with self.deps.storage.unit_of_work() as uow:
            execution = await uow.executions.find_by_channel(event.channel_id)
            if execution is None:
                return
            trunk = None
            dials = execution.direction is Direction.OUTBOUND or execution.transfer is not None
            if isinstance(event, CallEnded) and dials and execution.trunk_id:
                # Failover uses the trunk as it is now; read only when an attempt may fail over.
                trunk = await uow.trunks.get_any(execution.trunk_id)
            step = call_flow.apply(
                execution,
                event,
                self.deps.clock.now(),
                plan=failover_plan(execution, trunk, self.deps.default_region, event.channel_id),
                new_channel_id=self.deps.ids.new_id,
            )
            if not step.changed:
                return
            if (
                trunk is not None
                and trunk.calls_per_second is not None
                and any(isinstance(a, Dial) for a in step.actions)
            ):
                # A failover attempt counts against the pace too; the call is under way, so it waits its turn.
                dial = next(a for a in step.actions if isinstance(a, Dial))
                paced = await paced_dial(uow, step.execution, dial, trunk, self.deps.clock.now(), None)
                step = attrs.evolve(step, execution=paced or step.execution)
            await store_change(self.deps, uow, execution, step.execution)
        await self.carry_out(step.execution, trunk, step.actions)

    async def take_over(self, execution: Execution) -> bool:
        """Follow an execution adopted from an instance that stopped; return whether it is now final.

        Telephony is asked what the call's current channel does now, and the call's events come here from then on
        (``follow``); the execution is brought up to date (:mod:`byot_core.domain.takeover`) and what that
        asks for is done (an outbound call answered meanwhile is handed to its agent). Raises
        ``TelephonyUnavailable`` when telephony cannot say: nothing is changed, and the caller tries again.
        """
        last = execution.attempts[-1].channel_id if execution.attempts else None
        channel = await self.deps.telephony.follow(last) if last is not None else ChannelNow.GONE
        # A transfer under way: its target's leg is followed too (its end must end the call it took over).
        leg = execution.transfer.legs[-1].channel_id if execution.transfer and execution.transfer.legs else None
        leg_now = await self.deps.telephony.follow(leg) if leg is not None else None
        async with self.deps.storage.unit_of_work() as uow:
            # Read again, locked: the call's events may have moved it on since it was adopted.
            current = await (
                uow.executions.find_by_channel(last)
                if last is not None
                else uow.executions.get(execution.account_id, execution.id)
            )
            if current is None:
                return True
            step = takeover.adopt(current, channel, self.deps.clock.now())
            if leg_now is not None:
                on_leg = takeover.adopt_leg(step.execution, leg_now, self.deps.clock.now())
                step = Transition(on_leg.execution, step.actions + on_leg.actions, step.changed or on_leg.changed)
            if step.changed:
                await store_change(self.deps, uow, current, step.execution)
        await self.carry_out(step.execution, None, step.actions)
        return step.execution.status.is_terminal

    async def _hang_up_quietly(self, channel_id: str, q850_cause: int) -> None:
        try:
            await self.deps.telephony.hang_up(channel_id, q850_cause)
        except TelephonyUnavailable as error:
            # The execution is already stored; the channel's end arrives as an event once telephony is back.
            log.warning("could not hang up %s: %s", channel_id, error.message)

    async def connect_media(self, execution: Execution, channel_id: str, agent: Agent | None) -> bool:
        """Connect the call's channel to its ``agent``'s media, when the deployment has a media plan.

        Returns whether the call may go on. When the agent's media cannot be connected, the execution ends
        ``failed`` with a reason naming the agent connection and the channel is hung up (cause 41).
        """
        return await handover.connect_media(self.deps, execution, channel_id, self.handle_event, agent)

    async def _connect_and_hand_over(self, execution: Execution, channel_id: str) -> None:
        # The agent is asked for its media URL only: an outbound call's other choices were made when it was placed.
        agent = await self.deps.agents.get(execution.account_id, execution.agent_id)
        if await self.connect_media(execution, channel_id, agent):
            await start_recording(self.deps, execution, channel_id, agent)
            await handover.hand_over(self.deps, execution, channel_id)
