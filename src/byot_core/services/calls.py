"""Use cases for outbound calls and executions: place a call with failover, follow its events, read it back."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import attrs

from byot_core.domain.agent import SIP_TRUNK_PROVIDER
from byot_core.domain.call_input import parse_call
from byot_core.domain.dialplan import (
    EndKind,
    classify_end,
    dialled_number,
    gateway_positions,
    next_gateway,
    order_gateways,
    prefer_reachable,
)
from byot_core.domain.errors import AgentNotFound, CallRefused, ExecutionNotFound, TelephonyUnavailable
from byot_core.domain.events import AgentDisconnected, CallAnswered, CallEnded, CallRinging
from byot_core.domain.execution import Attempt, Direction, Execution
from byot_core.domain.numbers import canonical_key, e164
from byot_core.domain.status import ExecutionStatus, advance
from byot_core.domain.telephony import AnsweredOutboundCall, OriginateRequest
from byot_core.domain.trunk import Gateway, Trunk
from byot_core.ports.storage import TrunkRepository
from byot_core.services.deps import Dependencies

__all__ = ["CallService"]

log = logging.getLogger(__name__)


def _replace_attempt(execution: Execution, index: int, attempt: Attempt, now: datetime) -> Execution:
    attempts = list(execution.attempts)
    attempts[index] = attempt
    return attrs.evolve(execution, attempts=tuple(attempts), updated_at=now)


@attrs.frozen
class CallService:
    """Outbound call and execution use cases."""

    deps: Dependencies

    async def place(self, account_id: str, payload: object) -> Execution:
        """Place an outbound call from a DID on one of the account's active trunks.

        Checks, in order: the body; the agent exists in the account (``AgentNotFound``) and uses ``sip-trunk``;
        ``from_number`` is a live, active number on an active trunk of the account (``CallRefused``); the balance
        (an execution in ``balance-low`` is recorded and returned, nothing is dialled). Then the first gateway of the
        plan is dialled; the returned execution is ``initiated`` (or already ``failed`` if no gateway was reachable).
        """
        request = parse_call(payload, self.deps.default_region)
        agent = await self.deps.agents.get(account_id, request.agent_id)
        if agent is None:
            raise AgentNotFound()
        if agent.telephony_provider != SIP_TRUNK_PROVIDER:
            raise CallRefused(
                "Agent's telephony_provider must be 'sip-trunk' to call through a SIP trunk",
                code="agent_not_sip_trunk",
            )
        async with self.deps.storage.unit_of_work() as uow:
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
        # The balance service is outside storage: ask it with no transaction open.
        allowed = await self.deps.balance.allows_call(account_id, agent.id)
        draws = None if self.deps.draw is None else [self.deps.draw() for _ in trunk.gateways]
        plan = order_gateways(trunk.gateways, draws)
        # Gateways that health checks report down are tried last, not first.
        positions = gateway_positions(trunk.gateways)
        health = [self.deps.telephony.gateway_reachable(trunk.id, positions[g.id]) for g in plan]
        plan = prefer_reachable(plan, health)
        now = self.deps.clock.now()
        async with self.deps.storage.unit_of_work() as uow:
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
                created_at=now,
                updated_at=now,
                ended_at=None if allowed else now,
            )
            first: OriginateRequest | None = None
            if allowed:
                execution, first = self._new_attempt(execution, trunk, plan[0], now)
            await uow.executions.add(execution)
            await uow.commit()
        if first is not None:
            await self._originate(first)
        return await self.get(account_id, execution.id)

    def _new_attempt(
        self, execution: Execution, trunk: Trunk, gateway: Gateway, now: datetime
    ) -> tuple[Execution, OriginateRequest]:
        """Add an attempt through ``gateway`` to the execution, and the request that starts it."""
        # Both numbers were validated when the call was placed, so reading them again cannot fail.
        recipient_key = canonical_key(execution.to_number, self.deps.default_region)
        caller_key = canonical_key(execution.from_number, self.deps.default_region)
        channel_id = self.deps.ids.new_id()
        dialled = dialled_number(recipient_key, trunk.settings.outbound_leading_plus_enabled)
        attempt = Attempt(channel_id=channel_id, started_at=now, gateway_id=gateway.id, dialled=dialled)
        request = OriginateRequest(
            channel_id=channel_id,
            trunk_id=trunk.id,
            gateway=gateway,
            dialled=dialled,
            caller_id=e164(caller_key),
            gateway_position=gateway_positions(trunk.gateways)[gateway.id],
        )
        return attrs.evolve(execution, attempts=(*execution.attempts, attempt), updated_at=now), request

    async def _originate(self, request: OriginateRequest) -> None:
        """Start an attempt; a telephony that cannot even take the request counts as a route failure."""
        try:
            await self.deps.telephony.originate(request)
        except TelephonyUnavailable as error:
            log.warning("originate on %s failed: %s", request.channel_id, error.message)
            await self.handle_event(CallEnded(request.channel_id, cause_text="originate failed"))

    async def get(self, account_id: str, execution_id: str) -> Execution:
        """An execution of the account. Raises ``ExecutionNotFound``."""
        async with self.deps.storage.unit_of_work() as uow:
            execution = await uow.executions.get(account_id, execution_id)
        if execution is None:
            raise ExecutionNotFound()
        return execution

    async def list_for_agent(self, account_id: str, agent_id: str, limit: int = 100) -> Sequence[Execution]:
        """An agent's executions, inbound and outbound, newest first. Raises ``AgentNotFound``."""
        if await self.deps.agents.get(account_id, agent_id) is None:
            raise AgentNotFound()
        async with self.deps.storage.unit_of_work() as uow:
            return await uow.executions.list_for_agent(account_id, agent_id, limit)

    async def hang_up(self, account_id: str, execution_id: str) -> Execution:
        """Ask telephony to end the call's current channel; the status follows from the events it reports."""
        execution = await self.get(account_id, execution_id)
        if not execution.status.is_terminal and execution.attempts:
            await self.deps.telephony.hang_up(execution.attempts[-1].channel_id)
        return execution

    async def handle_event(self, event: CallRinging | CallAnswered | CallEnded | AgentDisconnected) -> None:
        """Apply a call event to its execution. Unknown channels, duplicates and late events change nothing."""
        follow_up: OriginateRequest | None = None
        answered_now: Execution | None = None
        async with self.deps.storage.unit_of_work() as uow:
            execution = await uow.executions.find_by_channel(event.channel_id)
            index = execution.attempt_for(event.channel_id) if execution is not None else None
            if execution is None or index is None:
                return
            now = self.deps.clock.now()
            attempt = execution.attempts[index]
            current = index == len(execution.attempts) - 1
            if attempt.ended_at is not None:
                return
            if isinstance(event, CallRinging):
                updated = _replace_attempt(execution, index, attrs.evolve(attempt, reached_ringing=True), now)
                if current:
                    updated = attrs.evolve(updated, status=advance(updated.status, ExecutionStatus.RINGING))
            elif isinstance(event, CallAnswered):
                answered = attrs.evolve(attempt, reached_ringing=True, answered=True)
                updated = _replace_attempt(execution, index, answered, now)
                if current:
                    status = advance(updated.status, ExecutionStatus.IN_PROGRESS)
                    updated = attrs.evolve(updated, status=status, answered_at=updated.answered_at or now)
                    if execution.direction is Direction.OUTBOUND and not attempt.answered:
                        answered_now = updated
            elif isinstance(event, AgentDisconnected):
                status = advance(execution.status, ExecutionStatus.CALL_DISCONNECTED)
                updated = attrs.evolve(execution, status=status, updated_at=now)
            else:
                updated, follow_up = await self._ended(execution, index, event, now, uow.trunks)
            await uow.executions.update(updated)
            await uow.commit()
        if follow_up is not None:
            await self._originate(follow_up)
        if answered_now is not None:
            await self._hand_over(answered_now, event.channel_id)

    async def _hand_over(self, execution: Execution, channel_id: str) -> None:
        """Give an answered outbound call to the outbound handler; a handler that fails ends the call (cause 41)."""
        handler = self.deps.outbound_handler
        if handler is None:
            return
        call = AnsweredOutboundCall(
            channel_id=channel_id,
            execution_id=execution.id,
            account_id=execution.account_id,
            agent_id=execution.agent_id,
            from_number=execution.from_number,
            to_number=execution.to_number,
            trunk_id=execution.trunk_id,
            gateway_id=execution.attempts[-1].gateway_id,
        )
        try:
            await handler.on_outbound_answered(call)
        except Exception:  # the embedder's handler may fail in any way; the callee must not be left in silence
            log.exception("outbound call %s could not be handed to agent %s", channel_id, execution.agent_id)
            await self.deps.telephony.hang_up(channel_id, 41)

    async def _ended(
        self, execution: Execution, index: int, event: CallEnded, now: datetime, trunks: TrunkRepository
    ) -> tuple[Execution, OriginateRequest | None]:
        """The execution after an attempt ended, and the next attempt to start if the call fails over."""
        attempt = execution.attempts[index]
        end = classify_end(
            answered=attempt.answered,
            reached_ringing=attempt.reached_ringing,
            q850_cause=event.q850_cause,
            sip_code=event.sip_code,
            cause_name=event.cause_text,
        )
        ended = attrs.evolve(
            attempt,
            ended_at=now,
            result=end.attempt_result,
            sip_code=event.sip_code,
            q850_cause=event.q850_cause,
        )
        updated = _replace_attempt(execution, index, ended, now)
        if index != len(execution.attempts) - 1 or execution.status.is_terminal:
            return updated, None
        if end.kind is EndKind.ROUTE_FAILURE and execution.direction is Direction.OUTBOUND:
            trunk = await trunks.get_any(execution.trunk_id) if execution.trunk_id else None
            # A trunk deactivated or changed mid-call leaves fewer (or no) gateways to fail over to.
            gateways = {g.id: g for g in trunk.gateways} if trunk is not None and trunk.routes_calls else {}
            plan = [gateways[g] for g in execution.gateway_plan if g in gateways]
            gateway = next_gateway(plan, updated.attempts)
            if gateway is not None and trunk is not None:
                return self._new_attempt(updated, trunk, gateway, now)
        status = end.status
        if execution.direction is Direction.INBOUND and end.kind is not EndKind.ANSWERED:
            status = ExecutionStatus.CANCELED
        return (
            attrs.evolve(updated, status=advance(updated.status, status), hangup_reason=end.reason, ended_at=now),
            None,
        )
