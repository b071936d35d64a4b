"""The fake Asterisk says what the recorded Asterisk 22 said, and the adapter reads the recorded events right."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed, AriUnreachable
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.domain.events import CallAnswered, CallEnded, CallRinging
from byot_core.testing.fake_asterisk import FakeAsterisk, GatewayPlay
from byot_core.testing.fake_asterisk.dialplan import Dialplan
from tests.asterisk.conftest import ARI_PASSWORD, eventually
from tests.support import ASTERISK_RECORDINGS

CAPTURES = ASTERISK_RECORDINGS / "captures"
CONFIG = "/asterisk/config/dynamic/res_pjsip"


def capture(name: str) -> str:
    return (CAPTURES / name).read_text()


def captured_put(type_: str) -> list[dict[str, str]]:
    """The whole object Asterisk answered to the recorded PUT of this type."""
    text = capture("dynamic-config-with-sorcery-conf.txt")
    block = text.split(f"### PUT res_pjsip/{type_}/", 1)[1].split("\n", 2)[1]
    answer: list[dict[str, str]] = json.loads(block)
    return answer


def shape(value: Any) -> Any:
    """The keys of a JSON value, recursively: what a reader of the event relies on."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k not in ("args",)}
    return type(value).__name__


@pytest.fixture
async def node() -> AsyncIterator[FakeAsterisk]:
    fake = FakeAsterisk("byot", ARI_PASSWORD)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(node: FakeAsterisk) -> AsyncIterator[AriClient]:
    async with AriClient(node.url, "byot", ARI_PASSWORD, timeout=1.0) as opened:
        yield opened


async def test_put_answers_the_whole_object_with_asterisk_defaults(client: AriClient) -> None:
    """Every attribute Asterisk reported for a PUT object is reported by the fake, normalised the same way."""
    for type_, fields in {
        "aor": [("contact", "sip:127.0.0.1:5070"), ("qualify_frequency", "0")],
        "auth": [("auth_type", "userpass"), ("username", "trunkuser"), ("password", "trunkpass")],
        "endpoint": [("context", "from-trunk"), ("disallow", "all"), ("allow", "ulaw,alaw"), ("aors", "test-aor"),
                     ("direct_media", "no"), ("outbound_auth", "test-auth"), ("transport", "transport-udp")],
        "identify": [("endpoint", "test-endpoint"), ("match", "127.0.0.1")],
    }.items():  # fmt: skip
        body = {"fields": [{"attribute": k, "value": v} for k, v in fields]}
        answer = await client.request("PUT", f"{CONFIG}/{type_}/test-{type_}", body=body)
        recorded = {item["attribute"]: item["value"] for item in captured_put(type_)}
        got = {item["attribute"]: item["value"] for item in answer}
        assert set(got) == set(recorded), type_
        for key, _ in fields:
            if key != "disallow":
                assert got[key] == recorded[key], (type_, key)
        assert "disallow" not in got


async def test_errors_carry_asterisk_messages(node: FakeAsterisk, client: AriClient) -> None:
    """404, 400 and 403 answers with the messages recorded from Asterisk."""
    recorded = capture("dynamic-config-delete-and-errors.txt") + capture("dynamic-config-without-sorcery-conf.txt")
    await client.request("PUT", f"{CONFIG}/aor/tmp-aor")
    assert await client.request("DELETE", f"{CONFIG}/aor/tmp-aor") is None
    cases = [
        ("GET", f"{CONFIG}/aor/tmp-aor", None, 404),
        ("PUT", f"{CONFIG}/endpoint/bad-ep", {"fields": [{"attribute": "nope", "value": "1"}]}, 400),
        ("DELETE", f"{CONFIG}/transport/transport-udp", None, 403),
        ("PUT", "/asterisk/config/dynamic/res_nope/aor/x", None, 404),
        ("PUT", f"{CONFIG}/nope/x", None, 404),
    ]
    for method, path, body, status in cases:
        with pytest.raises(AriRequestFailed) as raised:
            await client.request(method, path, body=body)
        assert raised.value.status == status
        assert f'"message":"{raised.value.detail}"' in recorded.replace('": "', '":"'), raised.value.detail
    node.store.writable = False
    with pytest.raises(AriRequestFailed) as raised:
        await client.request("PUT", f"{CONFIG}/aor/test-aor")
    assert (raised.value.status, raised.value.detail) == (403, "Cannot create sorcery objects of type 'aor'")
    assert raised.value.detail in recorded


async def test_lists_only_grow_and_a_restart_forgets(node: FakeAsterisk, client: AriClient) -> None:
    """PUT adds to ``match``; only delete and create shrinks it; a restart loses what was pushed."""
    path = f"{CONFIG}/identify/byot-x-identify"
    await client.request("PUT", path, body={"fields": [{"attribute": "match", "value": "192.0.2.1"}]})
    answer = await client.request("PUT", path, body={"fields": [{"attribute": "match", "value": "192.0.2.0/24"}]})
    match = {i["attribute"]: i["value"] for i in answer}["match"]
    assert match == "192.0.2.1/255.255.255.255,192.0.2.0/255.255.255.0"
    await node.restart()
    with pytest.raises(AriRequestFailed) as raised:
        await client.request("GET", path)
    assert raised.value.detail == "Object with id 'byot-x-identify' not found"
    assert raised.value.detail.replace("byot-x-identify", "test-endpoint") in capture(
        "dynamic-config-after-restart.txt"
    )


async def test_endpoint_events_exist_once_an_endpoint_has_existed(node: FakeAsterisk, client: AriClient) -> None:
    """As observed: 422 "Event source does not exist" on a fresh node, 200 after one endpoint (even deleted)."""
    subscribe = "/applications/byot/subscription"
    recorded = (CAPTURES.parent / "README.md").read_text()
    for source in ("endpoint:PJSIP", "endpoint:PJSIP/byot-x-gw1", "channel:no-such-channel"):
        with pytest.raises(AriRequestFailed) as raised:
            await client.request("POST", subscribe, params={"eventSource": source})
        assert (raised.value.status, raised.value.detail) == (422, "Event source does not exist")
        assert f'422**\n  `{{"message":"{raised.value.detail}"}}`' in recorded
    await client.request("PUT", f"{CONFIG}/endpoint/byot-x-gw1", body={"fields": []})
    await client.request("DELETE", f"{CONFIG}/endpoint/byot-x-gw1")
    await client.request("POST", subscribe, params={"eventSource": "endpoint:PJSIP"})
    assert node.subscriptions() == {"endpoint:PJSIP"}
    await node.restart()
    assert node.subscriptions() == frozenset()
    with pytest.raises(AriRequestFailed) as raised:
        await client.request("POST", subscribe, params={"eventSource": "endpoint:PJSIP"})
    assert raised.value.status == 422
    node.add_file_object("endpoint", "operator-phone", {})
    await node.restart()
    await client.request("POST", subscribe, params={"eventSource": "endpoint:PJSIP"})
    assert node.subscriptions() == {"endpoint:PJSIP"}


async def test_credentials_travel_only_in_a_header(node: FakeAsterisk) -> None:
    """A password full of URL syntax works; a wrong one is 401; neither appears in a repr or an error."""
    async with AriClient(node.url, "byot", ARI_PASSWORD) as good:
        assert await good.request("GET", "/endpoints/PJSIP") == []
        assert ARI_PASSWORD not in repr(good)
    async with AriClient(node.url, "byot", "wrong-" + ARI_PASSWORD) as bad:
        with pytest.raises(AriRequestFailed) as raised:
            await bad.request("GET", "/endpoints/PJSIP")
    assert raised.value.status == 401
    assert ARI_PASSWORD not in str(raised.value)
    with pytest.raises(ValueError, match="credentials"):
        AriClient("http://byot:secret@127.0.0.1:8088", "byot", "secret")


async def test_an_unreachable_node_is_a_telephony_error() -> None:
    """Nothing listening: the request fails within its timeout as AriUnreachable, naming the node only."""
    async with AriClient("http://127.0.0.1:9", "byot", ARI_PASSWORD, timeout=0.5) as client:
        with pytest.raises(AriUnreachable) as raised:
            await client.request("GET", "/endpoints/PJSIP")
    assert "127.0.0.1:9" in raised.value.message
    assert ARI_PASSWORD not in raised.value.message


async def test_event_shapes_match_the_recording(node: FakeAsterisk, client: AriClient) -> None:
    """Originated calls produce events with the recorded keys: Dial, StasisStart, ChannelDestroyed with tech_cause."""
    await client.request(
        "PUT", f"{CONFIG}/aor/gw", body={"fields": [{"attribute": "contact", "value": "sip:192.0.2.5:5060"}]}
    )
    await client.request("PUT", f"{CONFIG}/endpoint/gw", body={"fields": [{"attribute": "aors", "value": "gw"}]})
    node.script("192.0.2.5:5060", GatewayPlay.ANSWER, GatewayPlay.BUSY)
    received: list[dict[str, Any]] = []
    session = aiohttp.ClientSession()
    try:
        async with session.ws_connect(f"{node.url}/ari/events?app=byot", headers={"Authorization": client._auth}) as ws:
            for _ in range(2):
                await client.request("POST", "/channels", body={"endpoint": "PJSIP/+15551234567@gw", "app": "byot"})
            await eventually(lambda: len(node.ended) == 1)
            await node.settle()
            while len(received) < 10:  # 6 for the answered call, 4 for the busy one
                received.append(json.loads((await ws.receive(timeout=2.0)).data))
    finally:
        await session.close()
    by_type = {e["type"]: e for e in received}
    for name, type_ in [
        ("StasisStart.originated.json", "StasisStart"),
        ("Dial.json", "Dial"),
        ("ChannelStateChange.Ringing.json", "ChannelStateChange"),
        ("ChannelDestroyed.cause17.json", "ChannelDestroyed"),
    ]:
        assert shape(by_type[type_]) == shape(json.loads(capture(name))), name
    destroyed = by_type["ChannelDestroyed"]
    assert (destroyed["cause"], destroyed["tech_cause"], destroyed["cause_txt"]) == (17, 486, "User busy")


async def test_recorded_events_translate_to_call_events(client: AriClient) -> None:
    """The recorded Ringing, Up and busy ChannelDestroyed become ringing, answered, and an end with 17/486."""
    telephony = AriTelephony([client])
    events = []
    for name in ("ChannelStateChange.Ringing.json", "ChannelStateChange.Up.json", "ChannelDestroyed.cause17.json"):
        events += await telephony.translate(client, json.loads(capture(name)))
    assert events[0] == CallRinging("1795780558.0", sip_call_id="4b202a71-b9a7-44eb-b5cf-31d287950ff6")
    assert isinstance(events[1], CallAnswered)
    assert events[1].sip_call_id == "4b202a71-b9a7-44eb-b5cf-31d287950ff6"
    assert events[2] == CallEnded("1795780589.2", 17, 486, "User busy", "37fa229b-5fa6-4d3b-b854-1f1a6d18c72e")
    ended = await telephony.translate(client, json.loads(capture("ChannelDestroyed.cause0.json")))
    assert isinstance(ended[0], CallEnded)
    assert (ended[0].q850_cause, ended[0].sip_code) == (0, None)


async def test_an_application_has_one_websocket_the_last_one(node: FakeAsterisk, client: AriClient) -> None:
    """Two websockets for one application: only the one that registered last gets its events, as in Asterisk."""
    await client.request("PUT", f"{CONFIG}/endpoint/gw", body={"fields": [{"attribute": "aors", "value": "gw"}]})
    session = aiohttp.ClientSession(headers={"Authorization": client._auth})
    try:
        first = await session.ws_connect(f"{node.url}/ari/events?app=byot")
        second = await session.ws_connect(f"{node.url}/ari/events?app=byot")
        await eventually(lambda: len(node.hub.sockets("byot")) == 2)
        await client.request("POST", "/channels", body={"endpoint": "PJSIP/100@gw", "app": "byot"})
        assert json.loads((await second.receive(timeout=2.0)).data)["type"] == "Dial"
        with pytest.raises(TimeoutError):
            await first.receive(timeout=0.2)
    finally:
        await session.close()


async def test_wrong_credentials_on_the_event_stream_are_logged_without_them(
    node: FakeAsterisk, caplog: pytest.LogCaptureFixture
) -> None:
    """A 401 on the websocket is retried and logged with its status, as a warning once per outage.

    The password is in no log line.
    """
    caplog.set_level(logging.DEBUG, logger="byot_core.adapters.asterisk.ari")
    wrong = "wrong-" + ARI_PASSWORD
    client = AriClient(node.url, "byot", wrong, first_retry=0.01, max_retry=0.02)
    stream = client.events()
    consumer = asyncio.ensure_future(anext(stream))
    await eventually(lambda: sum("HTTP 401" in r.getMessage() for r in caplog.records) >= 3)
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)
    await stream.aclose()
    await client.close()
    assert not any(wrong in r.getMessage() or ARI_PASSWORD in r.getMessage() for r in caplog.records)
    levels = [r.levelno for r in caplog.records if "HTTP 401" in r.getMessage()]
    assert levels[0] == logging.WARNING
    assert set(levels[1:]) == {logging.DEBUG}


async def test_the_recorded_stasis_start_of_an_originated_channel_is_not_an_inbound_call(client: AriClient) -> None:
    """Recorded without app arguments, an originated channel's StasisStart is known as ours by its id.

    It is the answered call entering the application, not an inbound call; its answer itself (the ChannelStateChange
    before it, the channel still in ``AppDial2``) had not reached the application yet.
    """
    telephony = AriTelephony([client])
    recorded = json.loads(capture("StasisStart.originated.json"))
    channel_id = recorded["channel"]["id"]
    telephony.calls._originated.add(channel_id)
    call_id = recorded["channel"]["protocol_id"]
    assert await telephony.translate(client, recorded) == [CallAnswered(channel_id, True, sip_call_id=call_id)]
    answered = json.loads(capture("ChannelStateChange.Up.json"))
    assert await telephony.translate(client, answered) == [CallAnswered(channel_id, False, sip_call_id=call_id)]


def test_the_fake_refuses_dialplan_it_does_not_understand() -> None:
    """A line the fake would otherwise skip is an error when loaded, so no test passes on a misread dialplan."""
    for text in (
        "[ctx]\nexten => _X.,1,Dial(PJSIP/x)",
        "exten => _X.,1,Hangup()",
        "[ctx]\n same => n,Hangup()",
        "[ctx]\nexten => _X.,2,Hangup()",
    ):
        with pytest.raises(ValueError, match="dialplan line"):
            Dialplan(text)
