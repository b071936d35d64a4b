"""POST /executions/{id}/dtmf and /hangup over HTTP: their answers, refusals and errors."""

from __future__ import annotations

from byot_core.adapters.fake_telephony import Outcome
from tests.http.conftest import OTHER_KEY, Api
from tests.support import AGENT, IP_TRUNK

CALL = {"agent_id": AGENT, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}


async def placed_and_answered(api: Api) -> tuple[str, str]:
    trunk = (await api.call("POST", "/sip-trunks/trunks", IP_TRUNK)).json()
    added = await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    assert added.status_code == 201
    api.world.telephony.script(trunk["gateways"][0]["gateway_address"], Outcome.ANSWER_AND_HOLD)
    execution_id = (await api.call("POST", "/call", CALL)).json()["execution_id"]
    await api.settle()
    execution = (await api.call("GET", f"/executions/{execution_id}")).json()
    assert execution["status"] == "in-progress"
    return execution_id, execution["attempts"][0]["channel_id"]


async def test_dtmf_is_sent_into_an_answered_call(api: Api) -> None:
    """202 and the digits reach the call; bad digits 400 with every problem; other accounts 404."""
    execution_id, channel = await placed_and_answered(api)
    sent = await api.call("POST", f"/executions/{execution_id}/dtmf", {"digits": "123#"})
    assert (sent.status_code, sent.json()) == (202, {"message": "DTMF sent"})
    assert api.world.telephony.dtmf == {channel: "123#"}
    refused = await api.call("POST", f"/executions/{execution_id}/dtmf", {"digits": "12x", "speed": 2})
    assert refused.status_code == 400
    assert [p["path"] for p in refused.json()["problems"]] == ["digits", "speed"]
    assert refused.json()["code"] == "invalid_digits"
    assert (await api.call("POST", f"/executions/{execution_id}/dtmf", {})).status_code == 400
    other = await api.call("POST", f"/executions/{execution_id}/dtmf", {"digits": "1"}, key=OTHER_KEY)
    assert other.status_code == 404
    assert (await api.call("POST", "/executions/nope/dtmf", {"digits": "1"})).status_code == 404
    assert api.world.telephony.dtmf == {channel: "123#"}


async def test_hangup_ends_the_call_and_is_idempotent(api: Api) -> None:
    """202 "Hangup requested", the call completes; again 202 saying it already ended; then DTMF is a 409."""
    execution_id, _ = await placed_and_answered(api)
    first = await api.call("POST", f"/executions/{execution_id}/hangup")
    assert (first.status_code, first.json()) == (202, {"message": "Hangup requested"})
    await api.settle()
    assert (await api.call("GET", f"/executions/{execution_id}")).json()["status"] == "completed"
    again = await api.call("POST", f"/executions/{execution_id}/hangup")
    assert (again.status_code, again.json()) == (202, {"message": "The call has already ended"})
    late = await api.call("POST", f"/executions/{execution_id}/dtmf", {"digits": "1"})
    assert (late.status_code, late.json()) == (
        409,
        {"detail": "The call is not in progress", "code": "call_not_in_progress"},
    )
    assert (await api.call("POST", f"/executions/{execution_id}/hangup", key=OTHER_KEY)).status_code == 404


async def test_a_transfer_answers_202_and_its_progress_shows_in_the_execution(api: Api) -> None:
    """202 with the execution (`dialing`); then `answered`; a second transfer 409; bad bodies 400 with every problem."""
    execution_id, channel = await placed_and_answered(api)
    gateway = api.world.telephony.placed[0].request.gateway.address
    api.world.telephony.script(gateway, Outcome.ANSWER_AND_HOLD, dialled="+14155550199")
    started = await api.call("POST", f"/executions/{execution_id}/transfer", {"to": "+14155550199"})
    assert started.status_code == 202
    assert [(t["to"], t["mode"], t["status"]) for t in started.json()["transfers"]] == [
        ("+14155550199", "bridge", "dialing")
    ]
    again = await api.call("POST", f"/executions/{execution_id}/transfer", {"to": "+14155550199", "mode": "refer"})
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "The call is already being transferred", "code": "transfer_in_progress"},
    )
    await api.settle()
    transfer = (await api.call("GET", f"/executions/{execution_id}")).json()["transfers"][0]
    assert transfer["status"] == "answered"
    assert transfer["answered_at"].endswith("Z")
    assert api.world.telephony.joined == {channel: transfer["legs"][0]["channel_id"]}
    bad = await api.call(
        "POST", f"/executions/{execution_id}/transfer", {"to": "nine", "mode": "warm", "ring_timeout_seconds": 0}
    )
    assert bad.status_code == 400
    assert [p["path"] for p in bad.json()["problems"]] == ["to", "mode", "ring_timeout_seconds"]
    missing = await api.call("POST", "/executions/nope/transfer", {"to": "+14155550199"})
    assert missing.status_code == 404


async def test_a_transfer_of_a_call_not_in_progress_is_a_409(api: Api) -> None:
    """Once the call has ended there is nothing to transfer."""
    execution_id, _ = await placed_and_answered(api)
    await api.call("POST", f"/executions/{execution_id}/hangup")
    await api.settle()
    late = await api.call("POST", f"/executions/{execution_id}/transfer", {"to": "+14155550199", "mode": "refer"})
    assert (late.status_code, late.json()["code"]) == (409, "call_not_in_progress")


async def test_a_recorded_call_is_served_as_wav_to_its_account_only(api: Api) -> None:
    """`record: true` on POST /call: 404 while recording, then audio/wav once the call ended; other accounts 404."""
    trunk = (await api.call("POST", "/sip-trunks/trunks", IP_TRUNK)).json()
    await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    api.world.telephony.script(trunk["gateways"][0]["gateway_address"], Outcome.ANSWER_AND_HOLD)
    execution_id = (await api.call("POST", "/call", {**CALL, "record": True})).json()["execution_id"]
    await api.settle()
    execution = (await api.call("GET", f"/executions/{execution_id}")).json()
    assert (execution["record"], execution["recording"]["status"]) == (True, "recording")
    early = await api.call("GET", f"/executions/{execution_id}/recording")
    assert (early.status_code, early.json()) == (404, {"detail": "Recording not found", "code": "recording_not_found"})
    await api.call("POST", f"/executions/{execution_id}/hangup")
    await api.settle()
    recording = (await api.call("GET", f"/executions/{execution_id}")).json()["recording"]
    assert recording["status"] == "stored"
    served = await api.call("GET", f"/executions/{execution_id}/recording")
    assert served.status_code == 200
    assert served.headers["content-type"] == "audio/wav"
    assert served.content[:4] == b"RIFF"
    assert len(served.content) == recording["size_bytes"]
    other = await api.call("GET", f"/executions/{execution_id}/recording", key=OTHER_KEY)
    assert other.status_code == 404
    bad = await api.call("POST", "/call", {**CALL, "record": "yes"})
    assert (bad.status_code, bad.json()["problems"][0]["path"]) == (400, "record")


async def test_an_agent_can_be_set_to_record_its_calls(api: Api) -> None:
    """`agent_config.record_calls` is read, shown once set, and checked."""
    created = await api.call("POST", "/v2/agent", {"agent_config": {"agent_name": "Rec", "record_calls": True}})
    agent_id = created.json()["agent_id"]
    shown = (await api.call("GET", f"/v2/agent/{agent_id}")).json()
    assert shown["agent_config"]["record_calls"] is True
    bad = await api.call("PATCH", f"/v2/agent/{agent_id}", {"agent_config": {"record_calls": 1}})
    assert bad.status_code == 400
