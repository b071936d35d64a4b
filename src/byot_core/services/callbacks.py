"""Status callbacks out: each account's signing secret, and the delivery of the outbox's events.

Delivery claims due events with a lease (so that a stopped instance's events are delivered by another once the
lease passes), sends each signed, and records the outcome. A call's events go out one at a time, in order (the
outbox hands out only the earliest pending event of each call); accounts do not wait on each other: each has its
own small number of events in flight, so one slow receiver never delays another account's events.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections import defaultdict
from datetime import datetime, timedelta

import attrs

from byot_core.domain.callbacks import (
    MAX_ERROR_LENGTH,
    SIGNATURE_HEADER,
    CallbackEvent,
    DeliveryOutcome,
    EventState,
    SigningKeys,
    outcome_of,
    retry_at,
    sign,
)
from byot_core.domain.secret import Secret
from byot_core.ports.callbacks import CallbackSender, ReceiverUnreachable
from byot_core.services.deps import Dependencies
from byot_core.tasks import Background

__all__ = ["CallbackDelivery", "CallbackSecrets"]

log = logging.getLogger(__name__)


def _new_secret() -> Secret:
    return Secret("whsec_" + secrets.token_urlsafe(32))


@attrs.frozen
class CallbackSecrets:
    """Each account's status callback secret (beyond the guide): made on first read, rotated on demand.

    For a day after a rotation, events carry two signatures (the new secret's first), so a receiver switches to the
    new secret when it is ready, not at the instant of the rotation.
    """

    deps: Dependencies

    async def get(self, account_id: str) -> Secret:
        """The account's current secret, made (and stored sealed) the first time it is asked for."""
        return self.deps.secrets.open((await self._keys(account_id)).current)

    async def signing(self, account_id: str) -> list[str]:
        """The secrets events are signed with now (two for a day after a rotation)."""
        keys = await self._keys(account_id)
        return [self.deps.secrets.open(s).reveal() for s in keys.in_use(self.deps.clock.now())]

    async def rotate(self, account_id: str) -> Secret:
        """A new secret for the account; the replaced one still signs events, beside it, for a day."""
        secret = _new_secret()
        async with self.deps.storage.unit_of_work() as uow:
            old = await uow.accounts.callback_keys(account_id)
            keys = SigningKeys(self.deps.secrets.seal(secret), old.current if old else None, self.deps.clock.now())
            await uow.accounts.set_callback_keys(account_id, keys)
            await uow.commit()
        return secret

    async def _keys(self, account_id: str) -> SigningKeys:
        async with self.deps.storage.unit_of_work(read_only=True) as uow:
            keys = await uow.accounts.callback_keys(account_id)
        if keys is not None:
            return keys
        async with self.deps.storage.unit_of_work() as uow:
            # Read again where it is written: two first reads at once must end with one secret, not two.
            keys = await uow.accounts.callback_keys(account_id)
            if keys is None:
                keys = SigningKeys(self.deps.secrets.seal(_new_secret()))
                await uow.accounts.set_callback_keys(account_id, keys)
                await uow.commit()
        return keys


class CallbackDelivery:
    """Delivers the outbox's due events; :meth:`run` until cancelled, or :meth:`deliver_due` once (tests, tools).

    ``per_account`` events of one account are in flight at most; a claimed event is held for ``lease``, after which
    another instance may take it; a send is started only while ``send_time`` (more than the sender's timeout) is
    left of the lease. Delivered and undeliverable events are deleted once ``keep`` old (a week by default).
    """

    def __init__(
        self,
        deps: Dependencies,
        sender: CallbackSender,
        *,
        per_account: int = 4,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
        send_time: timedelta = timedelta(seconds=15),
        keep: timedelta = timedelta(days=7),
    ) -> None:
        self._deps = deps
        self._sender = sender
        self._secrets = CallbackSecrets(deps)
        self._lease = lease
        self._send_time = send_time
        self._keep = keep
        self._batch = batch
        self._gates: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_account))
        self._sending = Background("status callbacks")

    async def run(self, *, every: float = 0.5, measure_every: int = 10) -> None:
        """Claim and send due events every ``every`` seconds (at once again after a full batch). Never returns.

        Every ``measure_every`` rounds the outbox's backlog is told to the metrics.
        """
        for count in itertools.count():
            try:
                if count % measure_every == 0:
                    await self._tidy()
                claimed = await self.deliver_due(wait=False)
            except Exception:  # storage may be away for a while: try again, never end the loop
                log.exception("status callbacks: could not claim due events")
                claimed = 0
            if claimed < self._batch:
                await asyncio.sleep(every)

    async def _tidy(self) -> None:
        """Tell the metrics the backlog; forget finished events once they are ``keep`` old."""
        now = self._deps.clock.now()
        async with self._deps.storage.unit_of_work() as uow:
            pending, age = await uow.outbox.backlog(now)
            await uow.outbox.purge(now - self._keep)
            await uow.commit()
        self._deps.metrics.callback_backlog(pending, age)

    async def deliver_due(self, *, wait: bool = True) -> int:
        """Claim the due events and send them; ``wait`` for every send to end. Returns how many were claimed."""
        now = self._deps.clock.now()
        async with self._deps.storage.unit_of_work() as uow:
            events = await uow.outbox.claim(now, now + self._lease, self._batch)
            await uow.commit()
        # A send that waited for its account's turn past this point leaves the event to its next claim: by the time
        # it answered, the lease would have run out and another claimer could be sending it too.
        send_by = now + self._lease - self._send_time
        # Each account's secrets are read and opened once a batch, not once an event.
        keys = {account: await self._secrets.signing(account) for account in {e.account_id for e in events}}
        for event in events:
            self._sending.spawn(self._send(event, keys[event.account_id], send_by), f"callback-{event.id}")
        if wait:
            await self.drain()
        return len(events)

    async def drain(self) -> None:
        """Wait until every send in flight has ended (and its outcome is recorded)."""
        await self._sending.drain()

    async def close(self, within: float = 5.0) -> None:
        """Stop sending (events in flight are claimed again once their lease passes)."""
        await self._sending.cancel(within)

    async def _send(self, event: CallbackEvent, keys: list[str], send_by: datetime) -> None:
        async with self._gates[event.account_id]:
            if self._deps.clock.now() > send_by:
                return
            timestamp = int(self._deps.clock.now().timestamp())
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(keys, timestamp, event.body),
                "Byot-Event-Id": event.id,
            }
            status: int | None
            try:
                status = await self._sender.post(event.url, event.body.encode(), headers)
                error = None if 200 <= status < 300 else f"answered {status}"
            except ReceiverUnreachable as unreachable:
                status, error = None, f"no answer: {unreachable}"[:MAX_ERROR_LENGTH]
        await self._record(event, status, error)

    async def _record(self, event: CallbackEvent, status: int | None, error: str | None) -> None:
        now = self._deps.clock.now()
        tried = attrs.evolve(event, attempts=event.attempts + 1, last_error=error)
        outcome = outcome_of(status)
        if outcome is DeliveryOutcome.DELIVERED:
            done = attrs.evolve(tried, state=EventState.DELIVERED, delivered_at=now)
        else:
            again = retry_at(tried, now) if outcome is DeliveryOutcome.RETRY else None
            if again is None:
                log.warning("status callback %s of %s is undeliverable: %s", event.id, event.execution_id, error)
                done = attrs.evolve(tried, state=EventState.UNDELIVERABLE)
            else:
                done = attrs.evolve(tried, next_attempt_at=again)
        async with self._deps.storage.unit_of_work() as uow:
            await uow.outbox.record(done)
            await uow.commit()
        self._deps.metrics.callback_attempted(done.state.value if done.state is not EventState.PENDING else "retry")
