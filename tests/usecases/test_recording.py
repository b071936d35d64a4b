"""Recording calls (on every storage): asked for, kept when the call ends, served only to the call's account."""

from __future__ import annotations

from typing import Any

import pytest

from byot_core import ExecutionNotFound
from byot_core.adapters.fake_telephony import Outcome
from byot_core.audio import read_wav
from byot_core.domain.recording import RecordingNotFound, RecordingStatus, recording_name
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, IP_TRUNK, OTHER_ACCOUNT, World
from tests.usecases.test_calls import trunk_with_number


async def test_a_call_placed_with_record_is_recorded_and_kept_when_it_ends(world: World) -> None:
    """Recording from the answer; at the end the file is fetched, kept, deleted from telephony, and served."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, {**GUIDE_CALL, "record": True})
    assert placed.record
    with pytest.raises(RecordingNotFound):  # not answered yet: nothing recorded
        await world.app.recordings.get(ACCOUNT, placed.id)
    await world.settle()
    channel = placed.attempts[0].channel_id
    during = await world.app.calls.get(ACCOUNT, placed.id)
    assert during.recording is not None
    assert (during.recording.name, during.recording.status) == (recording_name(placed.id), RecordingStatus.RECORDING)
    assert channel in world.telephony.recorder.live
    with pytest.raises(RecordingNotFound):  # still recording
        await world.app.recordings.get(ACCOUNT, placed.id)
    world.telephony.remote_hang_up(channel)
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, placed.id)
    assert ended.recording is not None
    assert ended.recording.status is RecordingStatus.STORED
    data = await world.app.recordings.get(ACCOUNT, placed.id)
    assert ended.recording.size_bytes == len(data)
    rate, seconds, _ = read_wav(data)
    assert rate == 8000
    assert ended.recording.seconds is not None
    assert seconds == pytest.approx(ended.recording.seconds, abs=0.01)
    assert world.telephony.recorder.stored == {}  # deleted from telephony once kept
    with pytest.raises(ExecutionNotFound):
        await world.app.recordings.get(OTHER_ACCOUNT, placed.id)


async def test_a_call_not_asked_to_be_recorded_has_no_recording(world: World) -> None:
    """Without ``record`` nothing is started, and reading the recording is a 404."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    world.telephony.remote_hang_up(placed.attempts[0].channel_id)
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, placed.id)
    assert (ended.record, ended.recording) == (False, None)
    assert world.telephony.recorder.stored == {}
    with pytest.raises(RecordingNotFound):
        await world.app.recordings.get(ACCOUNT, placed.id)


async def test_an_agent_that_records_calls_has_its_inbound_calls_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``record_calls`` on the agent: its inbound calls are recorded from the answer.

    The agent directory (which may be another service) is asked once per call, for its events, media and recording.
    """
    world.agents.register(
        ACCOUNT, AGENT, telephony_provider="sip-trunk", record_calls=True, status_callback_url="https://hooks.example/x"
    )
    trunk = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    number = await GuideApi(world.app).numbers.add(ACCOUNT, trunk.trunk.id, {"phone_number": "+919876543210"})
    await GuideApi(world.app).inbound.setup(ACCOUNT, {"agent_id": AGENT, "phone_number_id": number.id})
    asked: list[str] = []
    get = world.agents.get

    async def counted(account_id: str, agent_id: str) -> Any:
        asked.append(agent_id)
        return await get(account_id, agent_id)

    monkeypatch.setattr(world.agents, "get", counted)
    channel = world.telephony.incoming_call("+919876543210", source="15.207.90.192")
    await world.settle()
    assert asked == [AGENT]
    execution_id = world.handler.offers[0].execution_id
    assert (await world.app.calls.get(ACCOUNT, execution_id)).status_callback_url == "https://hooks.example/x"
    assert channel in world.telephony.recorder.live
    world.telephony.remote_hang_up(channel)
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, execution_id)
    assert ended.record
    assert ended.recording is not None
    assert ended.recording.status is RecordingStatus.STORED


async def test_a_recording_that_cannot_be_fetched_is_failed_and_said_why(world: World) -> None:
    """Telephony down when the call ends: the recording is `failed`, with the reason; the call's end is recorded."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, {**GUIDE_CALL, "record": True})
    await world.settle()
    world.telephony.remote_hang_up(placed.attempts[0].channel_id)
    world.telephony.down = True
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, placed.id)
    assert ended.recording is not None
    assert ended.recording.status is RecordingStatus.FAILED
    assert ended.recording.detail == "Not fetched from telephony: Telephony is unreachable"
    assert ended.status.is_terminal
