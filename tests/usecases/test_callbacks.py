"""Status callbacks on every storage: written with each change, delivered in order, signed, retried, given up on."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from byot_core import ValidationFailed
from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.callbacks import EventState
from byot_core.domain.transfer import transfer_request
from byot_core.guide_api import GuideApi
from byot_core.ports.callbacks import ReceiverUnreachable
from byot_core.services.callbacks import CallbackDelivery
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, OTHER_ACCOUNT, World, body
from tests.usecases.test_calls import trunk_with_number

URL = "https://receiver.example/hooks/byot"


@attrs.define
class Receiver:
    """A receiver that answers ``status`` (or does not answer at all while ``down``), and keeps what it got."""

    status: int = 200
    down: bool = False
    got: list[tuple[str, dict[str, Any], Mapping[str, str]]] = attrs.Factory(list)
    hold: asyncio.Event | None = None

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        if self.hold is not None:
            await self.hold.wait()
        if self.down:
            raise ReceiverUnreachable("ClientConnectorError")
        self.got.append((url, json.loads(body), headers))
        return self.status

    def statuses(self) -> list[str]:
        return [event["status"] for _, event, _ in self.got if event["type"] == "call.status"]


async def deliver_all(delivery: CallbackDelivery) -> None:
    """Deliver until nothing is due (each round sends each call's next event)."""
    while await delivery.deliver_due():
        pass


async def completed_call(world: World, **call: Any) -> str:
    await trunk_with_number(world)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, **call))
    await world.settle()
    return placed.id


async def test_a_calls_events_arrive_in_order_signed_and_deduplicable(world: World) -> None:
    """initiated, ringing, in-progress, completed: one event each, numbered, signed with the account's secret."""
    execution_id = await completed_call(world, status_callback_url=URL)
    receiver = Receiver()
    delivery = CallbackDelivery(world.app.deps, receiver)
    await deliver_all(delivery)
    assert receiver.statuses() == ["initiated", "ringing", "in-progress", "completed"]
    secret = (await world.app.callbacks.get(ACCOUNT)).reveal()
    for sequence, (url, event, headers) in enumerate(receiver.got, start=1):
        assert (url, event["execution_id"], event["sequence"]) == (URL, execution_id, sequence)
        assert headers["Byot-Event-Id"] == event["event_id"]
        fields = dict(part.split("=", 1) for part in headers["Byot-Signature"].split(","))  # one v1: no rotation
        raw = json.dumps(event, separators=(",", ":"))
        expected = hmac.new(secret.encode(), f"{fields['t']}.{raw}".encode(), hashlib.sha256).hexdigest()
        assert hmac.compare_digest(fields["v1"], expected)
    final = receiver.got[-1][1]
    assert final["hangup_reason"] == "Call ended normally"
    assert final["duration_seconds"] == 0.0
    assert final["attempts"] == 1
    # The caller's leg as telephony reported it (the fake makes its Call-IDs from channel ids).
    leg = (await world.app.calls.get(ACCOUNT, execution_id)).attempts[0]
    assert (final["sip_call_id"], final["codec"]) == (f"{leg.channel_id}@byot-fake", "ulaw")
    async with world.storage.unit_of_work(read_only=True) as uow:
        stored = await uow.outbox.for_execution(execution_id)
        assert {e.state for e in stored} == {EventState.DELIVERED}
        assert await uow.outbox.backlog(world.clock.now()) == (0, 0.0)


async def test_a_receiver_down_gets_every_event_once_back_in_order(world: World) -> None:
    """Down: each call's first event is tried with backoff, the rest wait behind it; back: all arrive, in order."""
    await completed_call(world, status_callback_url=URL)
    receiver = Receiver(down=True)
    delivery = CallbackDelivery(world.app.deps, receiver)
    assert await delivery.deliver_due() == 1  # the call's first event only: the others wait their turn
    for _ in range(5):  # 1 + 2 + 4 + 8 + 16 s of backoff: the receiver is down for a minute
        world.clock.advance(16)
        await delivery.deliver_due()
    assert receiver.got == []
    receiver.down = False
    world.clock.advance(60)
    await deliver_all(delivery)
    assert receiver.statuses() == ["initiated", "ringing", "in-progress", "completed"]
    assert len({event["event_id"] for _, event, _ in receiver.got}) == 4


async def test_a_receiver_refusing_an_event_gives_it_up_and_the_next_goes_on(world: World) -> None:
    """400 is for good (undeliverable, counted); 429 and 503 are tried again."""
    execution_id = await completed_call(world, status_callback_url=URL)
    receiver = Receiver(status=400)
    delivery = CallbackDelivery(world.app.deps, receiver)
    await delivery.deliver_due()
    receiver.status = 503
    await delivery.deliver_due()
    world.clock.advance(2)
    receiver.status = 200
    await deliver_all(delivery)
    async with world.storage.unit_of_work(read_only=True) as uow:
        events = await uow.outbox.for_execution(execution_id)
    assert [(e.state, e.attempts, e.last_error) for e in events] == [
        (EventState.UNDELIVERABLE, 1, "answered 400"),
        (EventState.DELIVERED, 2, None),  # the error is the last attempt's
        (EventState.DELIVERED, 1, None),
        (EventState.DELIVERED, 1, None),
    ]


async def test_one_slow_receiver_does_not_hold_up_another_accounts_events(world: World) -> None:
    """Account A's receiver hangs; account B's events are delivered meanwhile."""
    await completed_call(world, status_callback_url=URL)
    world.agents.register(OTHER_ACCOUNT, "agt-b", telephony_provider="sip-trunk", status_callback_url=URL + "/b")
    trunk = await GuideApi(world.app).trunks.create(OTHER_ACCOUNT, body(USERPASS_B))
    await GuideApi(world.app).numbers.add(OTHER_ACCOUNT, trunk.trunk.id, {"phone_number": "+919876500000"})
    await GuideApi(world.app).calls.place(
        OTHER_ACCOUNT, body(GUIDE_CALL, agent_id="agt-b", from_number="+919876500000")
    )
    await world.settle()
    held = asyncio.Event()

    class Slow(Receiver):
        async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
            if not url.endswith("/b"):
                await held.wait()
            return await super().post(url, body, headers)

    receiver = Slow()
    delivery = CallbackDelivery(world.app.deps, receiver)
    for _ in range(500):  # B's four events, one after the other, while A's first send hangs
        await delivery.deliver_due(wait=False)
        if len(receiver.got) == 4:
            break
        await asyncio.sleep(0.01)
    assert [url for url, _, _ in receiver.got] == [URL + "/b"] * 4
    held.set()
    await asyncio.sleep(0.05)
    await delivery.close()


async def test_an_event_held_by_a_stopped_deliverer_is_taken_over_after_its_lease(world: World) -> None:
    """The claimer never records (its process died): another deliverer sends the event once the lease passed."""
    await completed_call(world, status_callback_url=URL)
    stuck = Receiver(hold=asyncio.Event())
    first = CallbackDelivery(world.app.deps, stuck)
    await first.deliver_due(wait=False)
    await first.close()  # stopped mid-send: nothing recorded
    receiver = Receiver()
    second = CallbackDelivery(world.app.deps, receiver)
    assert await second.deliver_due() == 0
    world.clock.advance(61)
    await deliver_all(second)
    assert receiver.statuses() == ["initiated", "ringing", "in-progress", "completed"]


async def test_the_agents_url_is_used_and_inbound_calls_report_too(world: World) -> None:
    """An agent's status_callback_url follows its inbound calls and its outbound ones placed without their own."""
    world.agents.register(ACCOUNT, AGENT, telephony_provider="sip-trunk", status_callback_url=URL)
    trunk_id = await trunk_with_number(world)
    number = (await world.app.numbers.list(ACCOUNT, trunk_id))[0]
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
    channel = world.telephony.incoming_call("+919876543210", source="192.0.2.50")
    await world.settle()
    world.telephony.remote_hang_up(channel)
    await world.settle()
    receiver = Receiver()
    delivery = CallbackDelivery(world.app.deps, receiver)
    await deliver_all(delivery)
    assert [(e["direction"], e["status"]) for _, e, _ in receiver.got] == [
        ("inbound", "ringing"), ("inbound", "in-progress"), ("inbound", "completed"),
    ]  # fmt: skip


async def test_a_bad_callback_url_is_refused_and_the_secret_rotates(world: World) -> None:
    """Only http(s) URLs, without credentials; a rotated secret differs and is what a new read gives."""
    await trunk_with_number(world)
    for url in ("ftp://receiver.example/", "https://user:pw@receiver.example/", "not a url"):
        with pytest.raises(ValidationFailed) as caught:
            await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, status_callback_url=url))
        assert caught.value.code == "invalid_callback_url"
    first = await world.app.callbacks.get(ACCOUNT)
    assert first == await world.app.callbacks.get(ACCOUNT)
    rotated = await world.app.callbacks.rotate(ACCOUNT)
    assert rotated != first
    assert await world.app.callbacks.get(ACCOUNT) == rotated
    assert await world.app.callbacks.get(OTHER_ACCOUNT) != rotated


USERPASS_B: dict[str, Any] = {
    "name": "Account B trunk",
    "provider": "zadarma",
    "auth_type": "userpass",
    "auth_username": "b-user",
    "auth_password": "b-password-123",
    "gateways": [{"gateway_address": "gw-b.example.com"}],
}


async def test_a_send_that_waited_past_its_lease_is_left_to_the_next_claim(world: World) -> None:
    """One send at a time for the account; the receiver holds the first past most of the lease.

    The others are not sent then (another claimer may have them), and go out in order on the next claim.
    """
    await trunk_with_number(world)
    for _ in range(3):
        await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, status_callback_url=URL))
    await world.settle()
    hold = asyncio.Event()
    receiver = Receiver(hold=hold)
    delivery = CallbackDelivery(world.app.deps, receiver, per_account=1)
    assert await delivery.deliver_due(wait=False) == 3  # each call's first event
    await asyncio.sleep(0.01)
    world.clock.advance(50)
    hold.set()
    await delivery.drain()
    assert len(receiver.got) == 1
    world.clock.advance(11)  # the lease of the two left behind has run out
    await deliver_all(delivery)
    by_call: dict[str, list[int]] = {}
    for _, event, _ in receiver.got:
        by_call.setdefault(event["execution_id"], []).append(event["sequence"])
    assert sorted(by_call.values()) == [[1, 2, 3, 4]] * 3


async def test_a_transfer_reports_its_steps_before_the_calls_end(world: World) -> None:
    """dialing, answered, completed (the transfer), then the call's final status."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, body(GUIDE_CALL, status_callback_url=URL))
    await world.settle()
    await world.app.control.transfer(ACCOUNT, placed.id, transfer_request("+14155550100"))
    await world.settle()
    target = (await world.app.calls.get(ACCOUNT, placed.id)).transfers[0].legs[0].channel_id
    world.telephony.remote_hang_up(target)
    await world.settle()
    receiver = Receiver()
    delivery = CallbackDelivery(world.app.deps, receiver)
    await deliver_all(delivery)
    steps = [e["transfer"]["status"] if e["type"] == "call.transfer" else e["status"] for _, e, _ in receiver.got]
    assert steps[:3] == ["initiated", "ringing", "in-progress"]
    assert steps[-1] == "completed"
    assert steps[3:-1] == ["dialing", "ringing", "answered", "completed"]


async def test_after_a_rotation_events_carry_both_signatures_for_a_day(world: World) -> None:
    """The new secret's signature first, the replaced one's beside it; a day later the new one alone."""
    await completed_call(world, status_callback_url=URL)
    old = (await world.app.callbacks.get(ACCOUNT)).reveal()
    new = (await world.app.callbacks.rotate(ACCOUNT)).reveal()
    receiver = Receiver()
    delivery = CallbackDelivery(world.app.deps, receiver)
    await delivery.deliver_due()
    world.clock.advance(24 * 3600)
    await deliver_all(delivery)

    def signed_with(index: int) -> list[str]:
        """Which secret made each v1 of the event's signature, in order."""
        _, event, headers = receiver.got[index]
        parts = [part.split("=", 1) for part in headers["Byot-Signature"].split(",")]
        payload = f"{parts[0][1]}.{json.dumps(event, separators=(',', ':'))}".encode()
        macs = {
            hmac.new(k.encode(), payload, hashlib.sha256).hexdigest(): name for name, k in (("new", new), ("old", old))
        }
        return [macs.get(mac, "?") for _, mac in parts[1:]]

    assert signed_with(0) == ["new", "old"]
    assert signed_with(-1) == ["new"]
