"""Properties of the media path's pure parts: the playout towards Asterisk, Twilio's messages, media URLs."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byot_core.adapters.media import (
    AgentAudio,
    AgentClear,
    AgentMark,
    Playout,
    SendMark,
    TwilioStream,
    read_agent_message,
)
from byot_core.audio import FRAME_BYTES, SILENCE
from byot_core.domain.errors import ValidationFailed
from byot_core.domain.media import MediaCall, MediaPlan

CALL = MediaCall("chan-1", "exec-1", "acct", "agt", "inbound", "+14155550100", "+919876543210", "trunk-1")

# What an agent sends: audio pieces of any size and marks, in any order.
agent_input = st.lists(
    st.one_of(st.binary(min_size=1, max_size=700), st.text("abcdefgh", min_size=1, max_size=4).map(SendMark)),
    max_size=30,
)


def drain(playout: Playout) -> list[bytes | SendMark]:
    """Everything the playout sends, with time moving on a second between tries."""
    sent: list[bytes | SendMark] = []
    now = 0.0
    while playout.pending:
        sent += playout.due(now)
        now += 1.0
    return sent


@given(agent_input)
def test_playout_sends_every_byte_in_order_in_whole_frames(items: list[bytes | SendMark]) -> None:
    """Audio and marks come out in the order they went in; every message is whole frames; nothing is lost."""
    playout = Playout()
    for item in items:
        if isinstance(item, SendMark):
            playout.mark(item.name)
        else:
            playout.audio(item)
    playout.finish_partial()
    sent = drain(playout)
    assert all(len(m) % FRAME_BYTES == 0 for m in sent if isinstance(m, bytes))
    audio_out = b"".join(m for m in sent if isinstance(m, bytes))
    marks_out = [m.name for m in sent if isinstance(m, SendMark)]
    assert marks_out == [i.name for i in items if isinstance(i, SendMark)]
    # Each mark pads the audio before it to a whole frame with silence, and only with silence.
    stripped = audio_out.replace(bytes([SILENCE]), b"")
    assert stripped == b"".join(i for i in items if isinstance(i, bytes)).replace(bytes([SILENCE]), b"")
    assert playout.dropped_bytes == 0


@given(st.integers(1, 2000), st.floats(0, 100))
def test_playout_never_runs_ahead_of_asterisk(frames: int, now: float) -> None:
    """However much is queued, no more than ``ahead`` frames are sent beyond what Asterisk has played."""
    playout = Playout(ahead=25)
    playout.audio(b"\x00" * FRAME_BYTES * frames)
    first = sum(len(m) // FRAME_BYTES for m in playout.due(now) if isinstance(m, bytes))
    assert first == min(frames, 25)
    assert playout.due(now) == [] or frames <= 25
    later = sum(len(m) // FRAME_BYTES for m in playout.due(now + 0.2) if isinstance(m, bytes))
    assert later == min(frames - first, 10)  # 200 ms played: ten frames of room


@given(agent_input, st.integers(0, 30))
def test_clear_answers_every_mark_not_yet_played_once(items: list[bytes | SendMark], sent_first: int) -> None:
    """After a clear, every mark not yet played is answered exactly once, in order; later ones still work."""
    playout = Playout(ahead=sent_first)
    for item in items:
        if isinstance(item, SendMark):
            playout.mark(item.name)
        else:
            playout.audio(item)
    sent = playout.due(0.0)
    reached = [m.name for m in sent if isinstance(m, SendMark)][:1]
    for name in reached:
        assert playout.mark_played(name)
    cleared = playout.clear()
    expected = [i.name for i in items if isinstance(i, SendMark)]
    assert reached + cleared == expected
    assert not playout.pending
    assert not playout.has_partial
    assert not any(playout.mark_played(name) for name in cleared)


def test_xoff_stops_sending_until_xon() -> None:
    """While Asterisk says XOFF nothing is sent; after XON sending resumes."""
    playout = Playout()
    playout.audio(b"\x00" * FRAME_BYTES * 10)
    playout.xoff = True
    assert playout.due(0.0) == []
    playout.xoff = False
    assert sum(len(m) for m in playout.due(0.0) if isinstance(m, bytes)) == FRAME_BYTES * 10


@given(st.lists(st.binary(min_size=1, max_size=400), min_size=1, max_size=10), st.text("0123456789*#", max_size=3))
def test_twilio_messages_are_numbered_and_carry_the_call(chunks: list[bytes], digits: str) -> None:
    """Every message after ``connected`` has the next sequence number; media chunks count from 1; payloads decode."""
    stream = TwilioStream(CALL, "MZ1")
    messages = [json.loads(TwilioStream.connected()), json.loads(stream.start())]
    messages += [json.loads(stream.media(chunk, 20 * i)) for i, chunk in enumerate(chunks)]
    messages += [json.loads(stream.dtmf(d)) for d in digits]
    messages.append(json.loads(stream.stop()))
    assert messages[0] == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert [int(m["sequenceNumber"]) for m in messages[1:]] == list(range(1, len(messages)))
    assert all(m["streamSid"] == "MZ1" for m in messages[1:])
    media = [m for m in messages if m["event"] == "media"]
    assert [int(m["media"]["chunk"]) for m in media] == list(range(1, len(chunks) + 1))
    assert [base64.b64decode(m["media"]["payload"]) for m in media] == chunks
    start = messages[1]["start"]
    assert start["callSid"] == "exec-1"
    assert start["customParameters"] == CALL.parameters()
    assert messages[-1]["stop"] == {"accountSid": "acct", "callSid": "exec-1"}


@given(st.binary(max_size=300), st.text(max_size=20))
def test_agent_messages_are_read_or_ignored_never_raise(payload: bytes, name: str) -> None:
    """Valid ``media``/``mark``/``clear`` are read; anything else (broken JSON, wrong types) is ignored."""
    encoded = base64.b64encode(payload).decode()
    assert read_agent_message(json.dumps({"event": "media", "media": {"payload": encoded}})) == AgentAudio(payload)
    assert read_agent_message(json.dumps({"event": "mark", "mark": {"name": name}})) == AgentMark(name)
    assert read_agent_message('{"event": "clear", "streamSid": "x"}') == AgentClear()
    assert read_agent_message(name) is None or name.strip().startswith(("{", "[", '"')) or name.strip().isdigit()
    assert read_agent_message('{"event": "media", "media": {"payload": 3}}') is None
    assert read_agent_message('{"event": "media", "media": {"payload": "***"}}') is None


@given(st.text(min_size=1, max_size=30), st.sampled_from(["+14155550100", "a/b?c#d", "x y&z"]))
def test_template_fields_never_change_the_urls_shape(agent_id: str, number: str) -> None:
    """Whatever an id or number holds, the filled template keeps its host and its path's first part."""
    plan = MediaPlan("wss://agents.example.com/calls/{agent_id}?from={from_number}")
    call = MediaCall("c", "e", "a", agent_id, "inbound", number, "+1", None)
    url = urlsplit(plan.target(call).url)
    assert url.hostname == "agents.example.com"
    assert url.path.startswith("/calls/")
    assert "/" not in url.path.removeprefix("/calls/")
    assert "#" not in plan.target(call).url


@pytest.mark.parametrize(
    "template",
    [
        "http://agents.example.com/{agent_id}",
        "wss:///{agent_id}",
        "wss://a/{secret}",
        "wss://u:p@a/x",
        "wss://a/{",
        "ws://[",
        "ws://host:99999/x",
    ],
)
def test_bad_media_templates_are_refused(template: str) -> None:
    """A template that is not ws(s) with a host, names an unknown field or carries credentials is refused."""
    with pytest.raises(ValidationFailed):
        MediaPlan(template)


@given(st.binary(max_size=400), st.integers(0, 10**9), st.text(max_size=12))
def test_media_messages_are_the_json_twilio_sends(chunk: bytes, timestamp: int, sid: str) -> None:
    """The hand-written ``media`` message is exactly what ``json.dumps`` makes of Twilio's shape."""
    stream = TwilioStream(CALL, sid)
    stream.start()
    expected = {
        "event": "media",
        "sequenceNumber": "2",
        "media": {"track": "inbound", "chunk": "1", "timestamp": str(timestamp),
                  "payload": base64.b64encode(chunk).decode()},
        "streamSid": sid,
    }  # fmt: skip
    assert json.loads(stream.media(chunk, timestamp)) == expected


def test_a_token_in_a_media_url_stays_out_of_reprs() -> None:
    """A query string (where agent servers put tokens) never shows in a plan's or a target's repr."""
    plan = MediaPlan("wss://agents.example.com/{agent_id}?token=s3cret")
    assert "s3cret" not in repr(plan)
    assert "s3cret" not in repr(plan.target(CALL))
