"""Status callbacks over HTTP: the account's secret, an agent's URL, a call's own URL and its refusals."""

from __future__ import annotations

from tests.http.conftest import OTHER_KEY, Api
from tests.support import AGENT, IP_TRUNK

CALL = {"agent_id": AGENT, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}


async def test_the_secret_is_per_account_stable_and_rotates(api: Api) -> None:
    """Made on first read; the same on the next; a rotation answers a new one; another account has its own."""
    first = await api.call("GET", "/account/callback-secret")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    secret = first.json()["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) >= 40
    assert (await api.call("GET", "/account/callback-secret")).json()["secret"] == secret
    rotated = (await api.call("POST", "/account/callback-secret/rotate")).json()["secret"]
    assert rotated != secret
    assert (await api.call("GET", "/account/callback-secret")).json()["secret"] == rotated
    other = (await api.call("GET", "/account/callback-secret", key=OTHER_KEY)).json()["secret"]
    assert other not in (secret, rotated)
    assert (await api.call("GET", "/account/callback-secret", key=None)).status_code == 401


async def test_a_calls_url_is_kept_and_a_bad_one_refused(api: Api) -> None:
    """The execution shows its URL; an agent's URL is read and written; a credentialled URL is a 400."""
    trunk = (await api.call("POST", "/sip-trunks/trunks", IP_TRUNK)).json()
    await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    placed = await api.call("POST", "/call", {**CALL, "status_callback_url": "https://hooks.example/calls"})
    execution = (await api.call("GET", f"/executions/{placed.json()['execution_id']}")).json()
    assert execution["status_callback_url"] == "https://hooks.example/calls"
    refused = await api.call("POST", "/call", {**CALL, "status_callback_url": "https://u:p@hooks.example/"})
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_callback_url")
    config = {"agent_config": {"agent_name": "a", "status_callback_url": "https://hooks.example/agent"}}
    updated = await api.call("PATCH", f"/v2/agent/{AGENT}", config)
    assert updated.json()["agent_config"]["status_callback_url"] == "https://hooks.example/agent"
    bad = await api.call("PATCH", f"/v2/agent/{AGENT}", {"agent_config": {"status_callback_url": "ws://x"}})
    assert (bad.status_code, bad.json()["problems"][0]["path"]) == (400, "agent_config.status_callback_url")
