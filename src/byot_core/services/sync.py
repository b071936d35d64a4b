"""Keeping telephony in step with storage: reconcile every trunk, and retry failures with backoff.

Storage is the source of truth. A reconcile pass applies every trunk that routes calls (telephony compares and
writes only what differs), removes the configuration of inactive and deleted trunks, and records each trunk's sync
state. It runs at start, when a media node comes back (a restarted Asterisk has forgotten what was pushed to it),
on demand, and again after failures, with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import Counter
from collections.abc import Callable

import attrs

from byot_core.backoff import Backoff
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.secret import Secret
from byot_core.domain.telephony import TrunkConfig
from byot_core.domain.trunk import SyncState, Trunk
from byot_core.services.deps import Dependencies

__all__ = ["ReconcileReport", "SyncOutcome", "TelephonySync"]

log = logging.getLogger(__name__)

#: Called after each trunk looked at with (trunks done, trunks in all).
Progress = Callable[[int, int], None]


@attrs.frozen
class SyncOutcome:
    """One trunk synced: the trunk as stored, with its new state, and how many objects telephony wrote."""

    trunk: Trunk
    written: int


@attrs.frozen
class ReconcileReport:
    """What a reconcile pass did.

    ``applied`` trunks now match telephony (``changed`` of them needed writes, ``objects_written`` objects in all),
    ``failed`` could not be applied and stay marked FAILED, ``removed`` trunks (inactive or deleted) had
    configuration removed, ``unknown`` are trunk ids found in telephony under the library's prefix that storage does
    not know: they are reported, never touched (another deployment may own them).
    """

    applied: int = 0
    changed: int = 0
    removed: int = 0
    failed: int = 0
    objects_written: int = 0
    unknown: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every trunk ended in step."""
        return self.failed == 0


class TelephonySync:
    """Telephony kept in step with storage.

    Each trunk is pushed after it changes (:meth:`sync`); reconcile passes run on demand or in a loop (:meth:`run`)
    woken by :meth:`request`, by reconnections and by failures.

    Pushes of one trunk never overlap within a process (a fixed pool of locks, shared by trunk id hash: bounded
    memory, and two trunks rarely wait on each other). Across processes a push checks, once done, that storage still
    holds the version it pushed, and pushes again when not (:meth:`sync_stored`).
    """

    def __init__(self, deps: Dependencies, *, concurrency: int = 16) -> None:
        self._deps = deps
        self._concurrency = concurrency
        self._locks = tuple(asyncio.Lock() for _ in range(256))
        # One flag for both: a pass asked for, and a trunk that failed to sync and wants a retry.
        self._wanted = asyncio.Event()
        # A node that (re)connects ends a backoff at once: what failed while it was away can now succeed.
        self._node_back = asyncio.Event()
        #: Passes finished by :meth:`run`, and the last one's report (figures for monitoring and benchmarks).
        self.passes = 0
        self.last_report: ReconcileReport | None = None

    def request(self) -> None:
        """Ask the running loop for a reconcile pass as soon as it can (several requests make one pass)."""
        self._wanted.set()

    def node_connected(self) -> None:
        """A telephony node (re)connected: reconcile now, even during a backoff (a restart forgot its pushes)."""
        self._node_back.set()
        self._wanted.set()

    async def sync(self, trunk: Trunk, *, password: Secret | None = None) -> Trunk:
        """Make telephony match a trunk just stored, and record the outcome as its ``sync_state``.

        ``trunk`` is the trunk as the caller stored it (at its ``revision``): it is pushed without being read again,
        and if a newer version has been stored since, that one is pushed after it. ``password`` is its password in
        the clear, when the caller has it (it has just sealed it): it is then not opened again. A trunk that routes
        calls is configured, any other is removed. Telephony being down is recorded (FAILED), not raised: the loop
        (:meth:`run`) retries it. Returns the trunk as stored, with its new state.
        """
        outcome = await self.sync_stored(trunk.id, known=trunk, password=password)
        return outcome.trunk if outcome is not None else trunk

    async def sync_stored(
        self,
        trunk_id: str,
        *,
        thorough: bool = True,
        needed: Callable[[Trunk], bool] | None = None,
        known: Trunk | None = None,
        password: Secret | None = None,
    ) -> SyncOutcome | None:
        """Push the trunk as storage holds it, until storage still holds that version once the push is done.

        Each push pushes the stored trunk (``known``, when the caller has just stored it, else read now), and pushes
        of one trunk never overlap within a process. Across processes they can: an older version's push may end after
        a newer one's and leave the older version in telephony. So once a push is done, storage is asked whether the
        trunk is still at the version pushed: by recording the sync state for that revision only, or by reading the
        revision when the state has not changed. A trunk changed meanwhile is pushed again, thoroughly; the push that
        ends last has then always seen the latest version. ``thorough=False`` lets telephony skip looking for
        leftovers of an earlier shape when the trunk is stored as applied (every change is stored as pending until
        telephony confirms it). Returns ``None`` if the trunk is not stored, or ``needed`` says the stored trunk needs
        no push. ``password`` is ``known``'s password in the clear, if the caller has it.
        """
        async with self._locks[hash(trunk_id) % len(self._locks)]:
            trunk = known if known is not None else await self._stored(trunk_id)
            if trunk is None or (needed is not None and not needed(trunk)):
                return None
            thorough = thorough or trunk.sync_state is not SyncState.APPLIED
            written = 0
            while True:
                pushed = password if trunk is known else None
                state, count, error = await self._push(trunk, thorough=thorough, password=pushed)
                written += count
                # A failure is recorded each time, with its reason (which may have changed since the last one).
                changed = state is not trunk.sync_state or error is not None
                if changed and await self._record(trunk, state, error):
                    break  # recorded for this revision: nothing newer was stored before the push ended
                latest = await self._stored(trunk_id)
                if latest is None:
                    break
                if latest.revision != trunk.revision:
                    trunk, thorough = latest, True  # changed meanwhile: push the newer version too
                    continue
                # The version pushed is still the stored one; another push of it may have recorded another state.
                if (state is latest.sync_state and error is None) or await self._record(latest, state, error):
                    break
                trunk = latest  # changed between the read and the record: the next round finds the newer one
        return SyncOutcome(attrs.evolve(trunk, sync_state=state), written)

    async def _record(self, trunk: Trunk, state: SyncState, error: str | None) -> bool:
        async with self._deps.storage.unit_of_work() as uow:
            # Recorded for the version pushed only: a newer one stays pending until its own push.
            recorded = await uow.trunks.set_sync_state(trunk.id, state, revision=trunk.revision, error=error)
            await uow.commit()
        return recorded

    async def _stored(self, trunk_id: str) -> Trunk | None:
        async with self._deps.storage.unit_of_work(read_only=True) as uow:
            return await uow.trunks.get_any(trunk_id)

    async def push(
        self, trunk: Trunk, *, thorough: bool = True, password: Secret | None = None
    ) -> tuple[SyncState, int]:
        """Apply (or remove) the trunk in telephony, recording nothing: the state it ends in, and objects written.

        ``password`` is the trunk's password in the clear, if the caller has it; else its sealed one is opened.
        """
        state, written, _ = await self._push(trunk, thorough=thorough, password=password)
        return state, written

    async def _push(
        self, trunk: Trunk, *, thorough: bool, password: Secret | None
    ) -> tuple[SyncState, int, str | None]:
        """:meth:`push`, and why it failed (telephony's message), if it did; told to the metrics."""
        started = self._deps.clock.now()
        try:
            if trunk.routes_calls:
                if password is None and trunk.auth_password is not None:
                    password = self._deps.secrets.open(trunk.auth_password)
                sealed = trunk.inbound_auth_password
                inbound = self._deps.secrets.open(sealed) if sealed is not None else None
                config = TrunkConfig(trunk, password, inbound)
                written = await self._deps.telephony.apply_trunk(config, thorough=thorough)
            else:
                written = await self._deps.telephony.remove_trunk(trunk.id)
        except TelephonyUnavailable as error:
            log.warning("trunk %s not applied to telephony: %s", trunk.id, error.message)
            self._wanted.set()
            self._deps.metrics.trunk_pushed(False, (self._deps.clock.now() - started).total_seconds())
            return SyncState.FAILED, 0, error.message
        self._deps.metrics.trunk_pushed(True, (self._deps.clock.now() - started).total_seconds())
        return SyncState.APPLIED, written, None

    async def reconcile(self, progress: Progress | None = None, *, thorough: bool = False) -> ReconcileReport:
        """Bring telephony in step with every stored trunk and record each trunk's sync state.

        A trunk stored as applied whose objects all match is not searched for leftovers of an earlier shape (about
        half the requests of a pass); ``thorough=True`` searches every trunk.
        """
        async with self._deps.storage.unit_of_work(read_only=True) as uow:
            ids = list(await uow.trunks.all_ids())
        try:
            configured = await self._deps.telephony.configured_trunks()
        except TelephonyUnavailable as error:
            log.warning("could not list what telephony holds: %s", error.message)
            configured = frozenset()

        def needed(trunk: Trunk) -> bool:
            # Inactive and deleted trunks need work only if telephony holds them or their removal is not recorded.
            return trunk.routes_calls or trunk.id in configured or trunk.sync_state is not SyncState.APPLIED

        tally: Counter[str] = Counter()
        gate = asyncio.Semaphore(self._concurrency)

        async def one(trunk_id: str) -> None:
            async with gate:
                # Each trunk is read once, inside its sync, in a short unit of work of its own.
                try:
                    outcome = await self.sync_stored(trunk_id, thorough=thorough, needed=needed)
                except Exception:  # one trunk that cannot be pushed must not hold back the others
                    log.exception("trunk %s could not be synced", trunk_id)
                    tally["failed"] += 1
                    outcome = None
            if outcome is not None:
                stored, written = outcome.trunk, outcome.written
                if stored.sync_state is SyncState.FAILED:
                    tally["failed"] += 1
                elif stored.routes_calls:
                    tally["applied"] += 1
                    tally["changed"] += written > 0
                elif written:
                    tally["removed"] += 1
                tally["objects_written"] += written
            tally["done"] += 1
            if progress is not None:
                progress(tally["done"], len(ids))

        if progress is not None:
            progress(0, len(ids))
        await asyncio.gather(*(one(i) for i in ids))
        del tally["done"]
        report = ReconcileReport(**tally, unknown=tuple(sorted(configured - set(ids))))
        log.info(
            "reconcile: %d applied (%d changed), %d removed, %d failed, %d unknown",
            report.applied,
            report.changed,
            report.removed,
            report.failed,
            len(report.unknown),
        )
        return report

    async def run(
        self, *, first_retry: float = 1.0, max_retry: float = 60.0, idle: float = 300.0, thorough_every: int = 12
    ) -> None:
        """Reconcile now, then whenever asked, after ``idle`` seconds, or (while trunks fail) with backoff.

        The backoff starts at ``first_retry`` seconds and doubles up to ``max_retry``, with jitter; a telephony node
        that (re)connects (:meth:`node_connected`) ends it at once.

        Every ``thorough_every``-th pass is thorough (hourly by default): it also finds objects left by a push that
        a process did not live to finish. Never returns on its own; cancel the task to stop it. A pass that raises is
        logged and retried.
        """
        retry = Backoff(first_retry, max_retry)
        for count in itertools.count():
            self._wanted.clear()
            self._node_back.clear()
            try:
                report = await self.reconcile(thorough=count % thorough_every == 0)
                self.passes, self.last_report = self.passes + 1, report
                healthy = report.ok
            except Exception:  # a broken pass must not end the loop: storage or telephony may come back
                log.exception("reconcile pass failed")
                healthy = False
            if healthy:
                retry.reset()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wanted.wait(), idle)
            else:
                # Backing off: a failure during the wait must not cut it short, or a dead node is hammered; a node
                # coming back does.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._node_back.wait(), retry.next())
                if self._node_back.is_set():
                    retry.reset()
