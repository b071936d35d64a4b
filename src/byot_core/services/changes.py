"""Storing a call's change, with what it makes: the status callbacks it reports (in the same transaction), metrics."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from byot_core.domain.agent import Agent
from byot_core.domain.callbacks import events_for_change
from byot_core.domain.execution import Execution
from byot_core.ports.storage import UnitOfWork
from byot_core.services.deps import Dependencies

__all__ = ["change_by_channel", "store_change", "with_agent_callbacks"]


async def store_change(deps: Dependencies, uow: UnitOfWork, before: Execution | None, after: Execution) -> None:
    """Store a new (``before`` is ``None``) or changed execution and commit; then tell the metrics.

    The status callbacks the change makes (when the call has a ``status_callback_url``) are written in the same
    transaction, so an event is stored exactly when the change it reports is: a crash loses neither one alone.
    """
    if before is None:
        await uow.executions.add(after)
    else:
        await uow.executions.update(after)
    url = after.status_callback_url
    if url is not None:
        # A call followed from now on (its URL just set) reports where it stands, as a new one would.
        reported = before if before is not None and before.status_callback_url == url else None
        first = await uow.outbox.next_sequence(after.id)
        await uow.outbox.add(events_for_change(reported, after, url, deps.ids.new_id, first, deps.clock.now()))
    await uow.commit()
    deps.metrics.execution_changed(before, after)


async def change_by_channel(deps: Dependencies, channel_id: str, change: Callable[[Execution], Execution]) -> None:
    """Change the execution using the channel (read and stored in one transaction), if there is one."""
    async with deps.storage.unit_of_work() as uow:
        execution = await uow.executions.find_by_channel(channel_id)
        if execution is not None:
            await store_change(deps, uow, execution, change(execution))


async def with_agent_callbacks(
    deps: Dependencies, execution: Execution, channel_id: str, agent: Agent | None
) -> Execution:
    """An inbound call, followed by its ``agent``'s ``status_callback_url`` when the agent has one.

    Asked once the call is stored (the agent directory is not asked inside a transaction); the first event then
    reports where the call stands.
    """
    url = agent.status_callback_url if agent is not None else None
    if url is None:
        return execution
    async with deps.storage.unit_of_work() as uow:
        current = await uow.executions.find_by_channel(channel_id)
        if current is None or current.status_callback_url == url:
            return current or execution
        followed = attrs.evolve(current, status_callback_url=url)
        await store_change(deps, uow, current, followed)
    return followed
