"""Several instances of the library on one storage: each holds a lease, and another takes over its calls if it stops.

An instance renews its lease (:meth:`InstanceLeases.renew`) while it lives. Every instance looks for leases that ran
out (:meth:`InstanceLeases.take_over`): storage gives each stopped instance to one claimer only, which adopts that
instance's executions not yet ended. For each it asks telephony what the call's current channel does now, taking
over its events (``follow``), and brings the execution up to date (:func:`byot_core.domain.takeover.adopt`): a call
that still lives is followed to its end; one that ended unseen is finished, saying so. Telephony is also swept for
calls a stopped process left without media, and for inbound calls delivered to an instance already gone (which no
instance routed). So within a lease and a loop period of an instance's death, none of its executions is left
unfinished, and each is finished once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import timedelta

import attrs

from byot_core.domain.causes import REFUSE_FOR_NOW
from byot_core.domain.errors import StorageBusy, TelephonyUnavailable
from byot_core.domain.execution import Execution
from byot_core.services.calls import CallService
from byot_core.services.deps import Dependencies

__all__ = ["InstanceLeases", "TakeOver"]

log = logging.getLogger(__name__)

#: How long a lease lasts unless renewed (seconds): an instance that stops is taken over this long after.
LEASE_SECONDS = 10.0
#: How often a live instance renews its lease and looks for leases that ran out (seconds).
RENEW_SECONDS = 3.0
#: How often telephony is swept for calls left behind (seconds; the sweep spares bridges younger than 30 s).
SWEEP_SECONDS = 15.0
#: How long an inbound call may wait unanswered before a sweep takes it for one delivered to a stopped instance.
STRAY_SECONDS = 30.0


@attrs.frozen
class TakeOver:
    """What one look for stopped instances did: the instances claimed, and their executions adopted.

    ``finished`` of the ``adopted`` ended while nobody followed them (or could not be resumed), ``followed`` still
    live and now followed here; ``unsettled`` could not be asked about (telephony did not answer) and are tried again.
    """

    instances: tuple[str, ...] = ()
    adopted: int = 0
    finished: int = 0
    followed: int = 0
    unsettled: int = 0


class InstanceLeases:
    """An instance's lease, and the adoption of the calls of instances whose lease ran out."""

    def __init__(
        self,
        deps: Dependencies,
        calls: CallService,
        *,
        lease: float = LEASE_SECONDS,
        renew_every: float = RENEW_SECONDS,
        sweep_every: float = SWEEP_SECONDS,
        stray_after: float = STRAY_SECONDS,
    ) -> None:
        if not 0 < renew_every < lease:
            raise ValueError("a lease must be renewed more often than it lasts")
        self._deps = deps
        self._calls = calls
        self.lease = lease
        self.renew_every = renew_every
        self.sweep_every = sweep_every
        self.stray_after = stray_after
        # Adopted executions whose channel could not be asked about yet: retried on each pass.
        self._unsettled: dict[str, Execution] = {}

    @property
    def instance_id(self) -> str:
        """The instance's id, as its executions and lease name it."""
        return self._deps.instance_id

    async def renew(self) -> None:
        """Hold this instance's lease for another ``lease`` seconds."""
        expires = self._deps.clock.now() + timedelta(seconds=self.lease)
        async with self._deps.storage.unit_of_work() as uow:
            await uow.instances.renew(self.instance_id, expires)
            await uow.commit()

    async def release(self) -> None:
        """Give the lease up now (a clean stop): the next look by any other instance takes over the calls."""
        async with self._deps.storage.unit_of_work() as uow:
            await uow.instances.renew(self.instance_id, self._deps.clock.now() - timedelta(microseconds=1))
            await uow.commit()

    async def take_over(self) -> TakeOver:
        """Claim the instances whose lease ran out and adopt their calls; retry calls not yet settled."""
        async with self._deps.storage.unit_of_work() as uow:
            claimed = [i for i in await uow.instances.claim_expired(self._deps.clock.now()) if i != self.instance_id]
            adopted: list[Execution] = []
            counts: dict[str, int] = {}
            for instance_id in claimed:
                theirs = await uow.executions.adopt(instance_id, self.instance_id)
                counts[instance_id] = len(theirs)
                adopted.extend(theirs)
            await uow.commit()
        for instance_id, count in counts.items():
            # A clean stop gives its lease up too (a restart, a deploy): only calls left behind are worth a warning.
            if count:
                log.warning("instance %s is gone (its lease ended): %d call(s) taken over here", instance_id, count)
            else:
                log.info("instance %s is gone (its lease ended); it left no calls to take over", instance_id)
        pending = {e.id: e for e in adopted} | self._unsettled
        self._unsettled = {}
        finished = followed = 0
        for execution in pending.values():
            try:
                ended = await self._calls.take_over(execution)
            except (TelephonyUnavailable, StorageBusy) as error:
                log.warning("call %s not taken over yet: %s", execution.id, error.message)
                self._unsettled[execution.id] = execution
                continue
            finished += ended
            followed += not ended
        if claimed:
            # Calls whose media a stopped process relayed are left in silent bridges: end them.
            await self.sweep()
        return TakeOver(tuple(claimed), len(adopted), finished, followed, len(self._unsettled))

    async def sweep(self) -> None:
        """End the calls stopped processes left behind: without media, or delivered to them and never taken."""
        telephony = self._deps.telephony
        try:
            swept = await telephony.sweep_orphans()
            waiting = await telephony.waiting_inbound(self.stray_after)
        except TelephonyUnavailable as error:
            log.warning("calls left behind not looked for: %s", error.message)
            return
        if swept:
            log.warning("%d call(s) left without media by a stopped process were ended", swept)
        for channel_id in waiting:
            async with self._deps.storage.unit_of_work(read_only=True) as uow:
                taken = await uow.executions.find_by_channel(channel_id) is not None
            if taken:
                continue  # an instance routed it: its takeover (or its own flow) answers or refuses it
            log.warning("inbound call %s was never taken (its instance was gone): refused, 503", channel_id)
            with contextlib.suppress(TelephonyUnavailable):
                # The carrier gets 503 and may try again elsewhere, rather than ringing until it gives up.
                await telephony.hang_up(channel_id, REFUSE_FOR_NOW)

    async def run(self) -> None:
        """Renew the lease and look for stopped instances every ``renew_every`` seconds; sweep now and then.

        Never returns on its own; cancel the task to stop it (then :meth:`release` for a clean stop). A pass that
        fails is logged and the next one tried: the lease must keep being renewed.
        """
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + self.sweep_every
        while True:
            try:
                await self.renew()
                await self.take_over()
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self.sweep_every
                    await self.sweep()
            except Exception:  # storage or telephony down for a moment must not end the loop
                log.exception("instance lease pass failed")
            # Jittered, so that instances started together do not all look at the same moment.
            await asyncio.sleep(self.renew_every * random.uniform(0.8, 1.0))  # noqa: S311 - timing only
