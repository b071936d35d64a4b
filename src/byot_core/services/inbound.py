"""Use cases for inbound calls: map a number to an agent, unlink it, and route a call that arrives."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import attrs

from byot_core.domain.agent import ULAW
from byot_core.domain.call_request import MappingRequest, mapping_request
from byot_core.domain.causes import Q850, REFUSE_FOR_NOW
from byot_core.domain.errors import (
    AgentNotFound,
    NotMappedToAgent,
    PhoneNumberNotFound,
    PhoneNumberRemoved,
)
from byot_core.domain.events import InboundCallArrived
from byot_core.domain.execution import Attempt, Direction, Execution
from byot_core.domain.numbers import candidate_keys, plain_key
from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.routing import (
    InboundCall,
    Rejection,
    RejectReason,
    Route,
    RouteCandidate,
    RoutingDecision,
    route_inbound,
)
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.telephony import InboundOffer
from byot_core.ports.storage import UnitOfWork
from byot_core.services.calls import CallService
from byot_core.services.changes import store_change, with_agent_callbacks
from byot_core.services.deps import Dependencies
from byot_core.services.recording_start import start_recording
from byot_core.services.transactions import in_transaction
from byot_core.services.views import Message

__all__ = ["InboundService"]

log = logging.getLogger(__name__)


def _mapping(mapping: MappingRequest) -> MappingRequest:
    """The mapping checked here (a typed request is never trusted)."""
    return mapping_request(mapping.agent_id, mapping.phone_number_id)


@attrs.frozen
class InboundService:
    """Inbound mapping and routing use cases.

    ``calls``, when given, connects a routed call to its agent's media before it is answered (see
    :meth:`CallService.connect_media`).
    """

    deps: Dependencies
    calls: CallService | None = None

    async def _mapped_number(self, uow: UnitOfWork, account_id: str, number_id: str) -> PhoneNumber:
        number = await uow.numbers.get(account_id, number_id)
        if number is None:
            raise PhoneNumberNotFound()
        if number.deleted:
            raise PhoneNumberRemoved()
        return number

    async def setup(self, account_id: str, mapping: MappingRequest) -> Message:
        """Map a number to an agent (moving it from any previous agent) and set the agent's audio to ulaw.

        Raises ``ValidationFailed``, ``AgentNotFound``, ``PhoneNumberNotFound`` ("Phone number doesn't exist.") or
        ``PhoneNumberRemoved`` ("SIP trunk phone number not found in database"). The guide's body is read into a
        :class:`MappingRequest` by :func:`byot_core.guide.read_mapping`.
        """
        request = _mapping(mapping)
        if await self.deps.agents.get(account_id, request.agent_id) is None:
            raise AgentNotFound()
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            # Checked first, so that a refused mapping leaves the agent untouched.
            await self._mapped_number(uow, account_id, request.phone_number_id)
        # The agent directory is outside storage: it is never called with a transaction open (a directory kept in the
        # same database would wait on that transaction). Set before the mapping, so a mapping never exists with the
        # wrong audio format; if the mapping then fails, the agent merely already uses ulaw.
        await self.deps.agents.set_audio_format(account_id, request.agent_id, ULAW)

        async def store(uow: UnitOfWork) -> None:
            number = await self._mapped_number(uow, account_id, request.phone_number_id)
            mapped = attrs.evolve(number, agent_id=request.agent_id, updated_at=self.deps.clock.now())
            await uow.numbers.update(mapped)

        await in_transaction(self.deps.storage, store)
        return Message("SIP trunk number successfully mapped to agent")

    async def unlink(self, account_id: str, mapping: MappingRequest) -> Message:
        """Remove a number's agent mapping, keeping the number on its trunk.

        Raises as :meth:`setup`, and ``NotMappedToAgent`` when the number is not mapped to that agent.
        """
        request = _mapping(mapping)

        async def store(uow: UnitOfWork) -> None:
            number = await self._mapped_number(uow, account_id, request.phone_number_id)
            if number.agent_id != request.agent_id:
                raise NotMappedToAgent()
            await uow.numbers.update(attrs.evolve(number, agent_id=None, updated_at=self.deps.clock.now()))

        await in_transaction(self.deps.storage, store)
        return Message("SIP trunk number successfully unlinked from agent")

    def _other_keys(self, called: str, tried: str | None) -> Iterator[str]:
        """The called number's keys (its plain digits, then its canonical key) other than the one already ``tried``."""
        return (key for key in candidate_keys(called, self.deps.default_region) if key != tried)

    async def _candidates(self, uow: UnitOfWork, called: str) -> Sequence[RouteCandidate]:
        key = plain_key(called)
        if key is not None and (found := await uow.numbers.routing_candidates(key)):
            return found
        for other in self._other_keys(called, key):
            if found := await uow.numbers.routing_candidates(other):
                return found
        return ()

    async def explain(
        self, called: str, source: str | None = None, arrived_on_trunk_id: str | None = None
    ) -> RoutingDecision:
        """Decide, without side effects, what would happen to a call: for troubleshooting (``decision.explain()``)."""
        call = InboundCall(called, source, arrived_on_trunk_id)
        async with self.deps.storage.unit_of_work(read_only=True, snapshot=False) as uow:
            candidates = await self._candidates(uow, called)
            return await self._decide(uow, call, candidates)

    async def explain_for(self, account_id: str, called: str, source: str | None = None) -> RoutingDecision:
        """As :meth:`explain`, as one account may see it: a number of another account reads as unknown.

        Which account holds a DID is not the caller's to learn; their own numbers are explained in full.
        """
        decision = await self.explain(called, source)
        if decision.candidate is not None and decision.candidate.number.account_id != account_id:
            return Rejection(RejectReason.UNKNOWN_NUMBER, decision.call)
        return decision

    @staticmethod
    async def _decide(uow: UnitOfWork, call: InboundCall, candidates: Sequence[RouteCandidate]) -> RoutingDecision:
        """Route the call; a route to a trunk with a channel limit is decided again with its calls counted.

        Counted only when it matters (most trunks have no limit, and most calls are routed): in a writing unit of
        work the count locks the trunk, so the execution added next is inside the limit for every process.
        """
        decision = route_inbound(call, candidates)
        if isinstance(decision, Route) and decision.candidate.trunk.channels is not None:
            in_progress = await uow.executions.live_on_trunk(decision.trunk_id)
            decision = route_inbound(attrs.evolve(call, in_progress=in_progress), candidates)
        return decision

    async def handle_call(self, event: InboundCallArrived) -> RoutingDecision:
        """Route an arriving call.

        A rejection hangs the channel up with the decision's cause; a route records an inbound execution, connects
        the agent's media (when the deployment has a media plan: in its own task, so other calls' events are not
        held up), answers the channel and hands it to the inbound call handler.
        """
        now = self.deps.clock.now()
        async with self.deps.storage.unit_of_work() as uow:
            candidates = await self._candidates(uow, event.called)
            call = InboundCall(event.called, event.source, event.arrived_on_trunk_id)
            decision = await self._decide(uow, call, candidates)
            if isinstance(decision, Rejection):
                execution = None
            else:
                execution = Execution(
                    id=self.deps.ids.new_id(),
                    account_id=decision.account_id,
                    agent_id=decision.agent_id,
                    direction=Direction.INBOUND,
                    status=ExecutionStatus.RINGING,
                    from_number=event.caller or "",
                    to_number=event.called,
                    trunk_id=decision.trunk_id,
                    phone_number_id=decision.number_id,
                    attempts=(
                        Attempt(
                            channel_id=event.channel_id,
                            started_at=now,
                            reached_ringing=True,
                            sip_call_id=event.sip_call_id,
                        ),
                    ),
                    created_at=now,
                    updated_at=now,
                    instance_id=self.deps.instance_id,
                )
                await store_change(self.deps, uow, None, execution)
        if isinstance(decision, Rejection):
            self.deps.metrics.call_refused("inbound", decision.reason.code)
            log.info(
                "inbound call %s to %s from %s refused: %s (SIP %d, cause %d)", event.channel_id, event.called,
                event.source or "an unknown address", decision.reason.code, decision.sip_code, decision.q850_cause,
            )  # fmt: skip
            await self.deps.telephony.hang_up(event.channel_id, decision.q850_cause)
            return decision
        assert execution is not None  # a route always records its execution above
        offer = InboundOffer(
            channel_id=event.channel_id,
            execution_id=execution.id,
            account_id=execution.account_id,
            agent_id=execution.agent_id,
            phone_number_id=decision.number_id,
            called=event.called,
            caller=event.caller,
        )
        if self.calls is not None and self.deps.media is not None and self.deps.media_plan is not None:
            self.deps.background.spawn(self._take(execution, offer), f"media-{event.channel_id}")
        else:
            await self._take(execution, offer)
        return decision

    async def _take(self, execution: Execution, offer: InboundOffer) -> None:
        """Connect the agent's media (a failure refuses the caller), then answer and hand the call over."""
        # The agent is asked once, before the caller hears anything: where its events, its media and its recording go.
        agent = await self.deps.agents.get(execution.account_id, execution.agent_id)
        execution = await with_agent_callbacks(self.deps, execution, offer.channel_id, agent)
        if self.calls is not None and not await self.calls.connect_media(execution, offer.channel_id, agent):
            return
        answered = False
        try:
            await self.deps.telephony.answer(offer.channel_id)
            answered = True
            await start_recording(self.deps, execution, offer.channel_id, agent)
            await self.deps.inbound_handler.on_inbound_call(offer)
        except Exception:  # the embedder's handler may fail in any way; the caller must not be left ringing
            log.exception("inbound call %s could not be handed to agent %s", offer.channel_id, offer.agent_id)
            cause = Q850.NORMAL_TEMPORARY_FAILURE if answered else REFUSE_FOR_NOW
            await self.deps.telephony.hang_up(offer.channel_id, cause)
