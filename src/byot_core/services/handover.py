"""Handing a call to its agent: its media connected, then (an answered outbound call) the outbound handler told.

Media is connected only when the deployment has a media plan. Used by the call and inbound use cases; what a failure
means for the execution goes back through the event handler they pass in, so the execution changes in one place
(:func:`byot_core.domain.call_flow.apply`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from byot_core.domain.agent import Agent
from byot_core.domain.call_flow import ExecutionEvent
from byot_core.domain.causes import Q850
from byot_core.domain.errors import MediaUnavailable, TelephonyUnavailable
from byot_core.domain.events import AgentMediaFailed
from byot_core.domain.execution import Execution
from byot_core.domain.media import MediaCall
from byot_core.domain.telephony import AnsweredOutboundCall
from byot_core.services.deps import Dependencies

__all__ = ["connect_media", "hand_over"]

log = logging.getLogger(__name__)


async def connect_media(
    deps: Dependencies,
    execution: Execution,
    channel_id: str,
    handle_event: Callable[[ExecutionEvent], Awaitable[None]],
    agent: Agent | None,
) -> bool:
    """Connect the call's channel to its ``agent``'s media (its own URL, else the plan's), when there is a media plan.

    Returns whether the call may go on. When the agent's media cannot be connected, ``handle_event`` gets
    ``AgentMediaFailed`` (the execution ends ``failed`` with a reason naming the agent connection, and the channel is
    hung up).
    """
    media, plan = deps.media, deps.media_plan
    if media is None or plan is None:
        return True
    call = MediaCall(
        channel_id=channel_id,
        execution_id=execution.id,
        account_id=execution.account_id,
        agent_id=execution.agent_id,
        direction=execution.direction.value,
        from_number=execution.from_number,
        to_number=execution.to_number,
        trunk_id=execution.trunk_id,
    )
    target = plan.target(call, agent.media_url if agent is not None else None)
    try:
        await media.connect_media(call, target, within=plan.answer_within)
    except (MediaUnavailable, TelephonyUnavailable) as error:
        log.warning("call %s: agent %s media not connected: %s", channel_id, execution.agent_id, error.message)
        await handle_event(AgentMediaFailed(channel_id, error.message))
        return False
    return True


async def hand_over(deps: Dependencies, execution: Execution, channel_id: str) -> None:
    """Give an answered outbound call to the outbound handler; a handler that fails ends the call (cause 41)."""
    handler = deps.outbound_handler
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
        await deps.telephony.hang_up(channel_id, Q850.NORMAL_TEMPORARY_FAILURE)
