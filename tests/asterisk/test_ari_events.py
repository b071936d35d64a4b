"""Recorded ARI events read into typed records; malformed ones are refused as such, and skipped by the stream."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from byot_core.adapters.asterisk.ari import AriClient
from byot_core.adapters.asterisk.ari_events import (
    ChannelGone,
    ChannelState,
    ContactStatus,
    DialStatus,
    HangupRequested,
    MalformedEvent,
    StasisStarted,
    read_event,
)
from byot_core.adapters.asterisk.telephony import AriTelephony
from byot_core.domain.events import CallEnded, CallEvent
from tests.support import ASTERISK_RECORDINGS

CAPTURES = ASTERISK_RECORDINGS / "captures"
USED = {"ChannelStateChange", "Dial", "ChannelDestroyed", "ChannelHangupRequest", "StasisStart", "ContactStatusChange"}


def recorded(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((CAPTURES / name).read_text())
    return event


def _events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CAPTURES / "events.jsonl").read_text().splitlines() if line.strip()]


def test_every_recorded_event_reads_as_its_record_or_as_unused() -> None:
    """The 48 events of the recorded session: the used types become records, the others ``None``."""
    events = _events()
    assert len(events) == 48
    for raw in events:
        read = read_event(raw)
        assert (read is not None) == (raw["type"] in USED), raw["type"]


def test_recorded_events_carry_what_the_adapter_reads() -> None:
    """Inbound StasisStart: DID with its '+', endpoint name, caller; destroyed: cause, SIP code, text."""
    inbound = read_event(recorded("StasisStart.inbound.json"))
    assert isinstance(inbound, StasisStarted)
    assert inbound.channel.exten == "+15557654321"
    assert inbound.channel.name.startswith("PJSIP/test-endpoint-")
    assert inbound.channel.state == "Ring"
    busy = read_event(recorded("ChannelDestroyed.cause17.json"))
    assert isinstance(busy, ChannelGone)
    assert (busy.cause, busy.tech_cause, busy.cause_txt) == (17, 486, "User busy")
    bye = read_event(recorded("ChannelDestroyed.cause0.json"))
    assert isinstance(bye, ChannelGone)
    assert (bye.cause, bye.tech_cause) == (0, None)
    assert isinstance(read_event(recorded("ChannelStateChange.Up.json")), ChannelState)
    assert isinstance(read_event(recorded("Dial.json")), DialStatus)
    health = {"type": "ContactStatusChange", "contact_info": {"aor": "byot-t-gw1", "contact_status": "Unreachable"}}
    assert read_event(health) == ContactStatus("byot-t-gw1", "Unreachable")
    requests = [read_event(e) for e in _events() if e["type"] == "ChannelHangupRequest"]
    assert requests[0] == HangupRequested("1795780558.0", 32)  # DELETE by the application
    bye_request = requests[1]
    assert isinstance(bye_request, HangupRequested)
    assert bye_request.cause is None  # a BYE from the far end carries no cause


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "ChannelDestroyed"},
        {"type": "ChannelDestroyed", "channel": {"id": 7}},
        {"type": "ChannelDestroyed", "channel": {"id": "c1"}, "cause": "16"},
        {"type": "ChannelStateChange", "channel": []},
        {"type": "StasisStart", "channel": {"id": "c1"}, "args": "+15557654321"},
        {"type": "Dial", "peer": None},
        {"type": "ContactStatusChange", "contact_info": {"aor": "byot-t-gw1"}},
        {"type": "ChannelHangupRequest", "channel": {"id": "c1"}, "cause": "38"},
    ],
)
def test_a_used_event_missing_what_it_needs_is_malformed(raw: dict[str, Any]) -> None:
    """A field missing or of the wrong type is one error type, not a KeyError or TypeError from deep inside."""
    with pytest.raises(MalformedEvent):
        read_event(raw)


async def test_the_stream_skips_a_malformed_event_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    """A malformed event is logged as not understood; the next one is translated as usual."""
    client = AriClient("http://127.0.0.1:9", "byot", "secret")
    telephony = AriTelephony([client])

    async def two_events() -> AsyncIterator[dict[str, Any]]:
        yield {"type": "ChannelDestroyed", "channel": {"id": 7}}
        yield recorded("ChannelDestroyed.cause17.json")

    client.events = two_events  # type: ignore[method-assign,assignment]
    queue: asyncio.Queue[CallEvent] = asyncio.Queue()
    with caplog.at_level(logging.WARNING):
        await telephony.stream._pump(client, queue)
    await telephony.close()
    assert queue.qsize() == 1
    assert isinstance(queue.get_nowait(), CallEnded)
    assert any("not understood" in r.getMessage() for r in caplog.records)
