"""The reference HTTP API: the guide's endpoints, statuses, shapes and messages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import AGENT, OTHER_KEY, Api
from tests.support import IP_TRUNK, USERPASS_TRUNK, body

PASSWORD = "SuperSecurePassword123"


async def created_trunk(api: Api, template: dict[str, Any] = USERPASS_TRUNK) -> dict[str, Any]:
    response = await api.call("POST", "/sip-trunks/trunks", template)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_trunk_answers_the_guides_object(api: Api) -> None:
    """201 with every field of the guide's trunk object, defaults filled in, no password."""
    trunk = await created_trunk(api)
    assert trunk["name"] == "Zadarma Production"
    assert trunk["user_id"] == "user_abc123"
    assert (trunk["transport"], trunk["qualify_frequency"], trunk["is_active"]) == ("transport-udp", 60, True)
    assert trunk["gateways"][0]["gateway_address"] == "sip.zadarma.com"
    assert trunk["phone_numbers"] == []
    assert "auth_password" not in trunk
    assert PASSWORD not in str(trunk)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": None}, "Trunk name is required"),
        ({"provider": None}, "Provider is required"),
        ({"auth_type": "digest"}, "auth_type must be 'userpass' or 'ip-based'"),
        ({"gateways": []}, "At least one gateway is required"),
        ({"auth_password": None}, "auth_username and auth_password are required for userpass auth"),
    ],
)
async def test_guide_400s(api: Api, changes: dict[str, Any], message: str) -> None:
    """The guide's 400 messages, as {"detail", "code"}."""
    response = await api.call("POST", "/sip-trunks/trunks", body(USERPASS_TRUNK, **changes))
    assert response.status_code == 400
    assert response.json()["detail"] == message
    assert response.json()["code"]


async def test_a_400_keeps_the_guides_detail_and_lists_every_problem(api: Api) -> None:
    """An empty trunk: the guide's first message as ``detail``, and every problem found in ``problems``."""
    response = await api.call("POST", "/sip-trunks/trunks", {})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Trunk name is required",
        "code": "trunk_name_required",
        "problems": [
            {"path": "name", "code": "trunk_name_required", "message": "Trunk name is required"},
            {"path": "provider", "code": "provider_required", "message": "Provider is required"},
            {"path": "auth_type", "code": "invalid_auth_type", "message": "auth_type must be 'userpass' or 'ip-based'"},
            {"path": "gateways", "code": "gateway_required", "message": "At least one gateway is required"},
        ],
    }


async def test_ip_identifiers_required(api: Api) -> None:
    """ip-based without identifiers: the guide's message."""
    response = await api.call("POST", "/sip-trunks/trunks", body(IP_TRUNK, ip_identifiers=[]))
    assert (response.status_code, response.json()["detail"]) == (400, "ip_identifiers are required for ip-based auth")


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"", 400, "invalid_body"),
        (b"[1, 2]", 400, "invalid_body"),
        (b'"text"', 400, "invalid_body"),
        (b"\xff\xfe", 400, "malformed_json"),
    ],
)
async def test_malformed_bodies_are_400(api: Api, content: bytes, status: int, code: str) -> None:
    """Malformed JSON, empty bodies and non-objects are clear 400s, never 500s."""
    response = await api.call("POST", "/sip-trunks/trunks", content=content)
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_oversized_body_is_413(api: Api) -> None:
    """A body over 1 MiB is refused with 413."""
    response = await api.call("POST", "/sip-trunks/trunks", content=b"{" + b" " * 1_100_000 + b"}")
    assert response.status_code == 413


async def test_authentication(api: Api) -> None:
    """No key or a wrong key is 401 with the error shape; the key's account scopes everything."""
    for key in (None, "bn-wrong"):
        response = await api.call("GET", "/sip-trunks/trunks", key=key)
        assert (response.status_code, response.json()["code"]) == (401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
    response = await api.client.get("/sip-trunks/trunks", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


async def test_other_accounts_objects_are_404(api: Api) -> None:
    """Another account's trunk is 404 on every verb, as if it did not exist."""
    trunk = await created_trunk(api)
    for method, path in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/numbers")]:
        response = await api.call(method, f"/sip-trunks/trunks/{trunk['id']}{path}", {"name": "x"}, key=OTHER_KEY)
        assert response.status_code == 404, (method, path)
    assert (await api.call("GET", "/sip-trunks/trunks", key=OTHER_KEY)).json() == []


async def test_list_get_update_delete(api: Api) -> None:
    """The guide's management endpoints, with phone_numbers_count and the is_active filter."""
    trunk = await created_trunk(api)
    other = await created_trunk(api, IP_TRUNK)
    number = (
        await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "919876543210"})
    ).json()
    assert (await api.call("PATCH", f"/sip-trunks/trunks/{other['id']}", {"is_active": False})).status_code == 200
    listed = (await api.call("GET", "/sip-trunks/trunks")).json()
    assert {t["name"]: t["phone_numbers_count"] for t in listed} == {"Zadarma Production": 1, "Plivo Elastic Trunk": 0}
    active = (await api.call("GET", "/sip-trunks/trunks", params={"is_active": "true"})).json()
    assert [t["id"] for t in active] == [trunk["id"]]
    assert (await api.call("GET", "/sip-trunks/trunks", params={"is_active": "maybe"})).status_code == 400
    got = (await api.call("GET", f"/sip-trunks/trunks/{trunk['id']}")).json()
    assert [n["id"] for n in got["phone_numbers"]] == [number["id"]]
    patch = {"outbound_leading_plus_enabled": False, "gateways": [{"gateway_address": "sip.newprovider.com"}]}
    updated = (await api.call("PATCH", f"/sip-trunks/trunks/{trunk['id']}", patch)).json()
    assert (updated["outbound_leading_plus_enabled"], updated["gateways"][0]["gateway_address"]) == (
        False,
        "sip.newprovider.com",
    )
    deleted = await api.call("DELETE", f"/sip-trunks/trunks/{trunk['id']}")
    assert deleted.json() == {"message": "Trunk deleted successfully. 1 phone number(s) removed."}
    assert (await api.call("GET", f"/sip-trunks/trunks/{trunk['id']}")).status_code == 404


async def test_numbers_and_inbound_mapping(api: Api) -> None:
    """Add, list, map, unlink and remove numbers with the guide's messages and 404s."""
    trunk = await created_trunk(api)
    add = await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "919876543210"})
    assert add.status_code == 201
    number = add.json()
    assert (number["telephony_provider"], number["deleted"], number["agent_id"]) == ("sip-trunk", False, None)
    again = await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    assert again.status_code == 409
    other = await created_trunk(api, IP_TRUNK)
    taken = await api.call("POST", f"/sip-trunks/trunks/{other['id']}/numbers", {"phone_number": "+91 98765 43210"})
    assert (taken.status_code, taken.json()["detail"]) == (409, "Phone number already exists on another active trunk")
    mapping = {"agent_id": AGENT, "phone_number_id": number["id"]}
    setup = await api.call("POST", "/inbound/setup", mapping)
    assert setup.json() == {"message": "SIP trunk number successfully mapped to agent"}
    agent = (await api.call("GET", f"/v2/agent/{AGENT}")).json()
    assert agent["agent_config"]["audio_format"] == "ulaw"
    listed = (await api.call("GET", f"/sip-trunks/trunks/{trunk['id']}/numbers")).json()
    assert [n["agent_id"] for n in listed] == [AGENT]
    unknown = await api.call("POST", "/inbound/setup", {"agent_id": AGENT, "phone_number_id": "01HQNUMBER111222333"})
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "Phone number doesn't exist.")
    assert (await api.call("POST", "/inbound/unlink", mapping)).status_code == 200
    removed = await api.call("DELETE", f"/sip-trunks/trunks/{trunk['id']}/numbers/{number['id']}")
    assert removed.json() == {"message": "Phone number removed successfully"}
    gone = await api.call("POST", "/inbound/setup", mapping)
    assert (gone.status_code, gone.json()["detail"]) == (404, "SIP trunk phone number not found in database")


async def test_agents_and_outbound_call(api: Api) -> None:
    """Create an agent, set sip-trunk through the guide's PATCH /{agent_id}, call, and read the execution."""
    trunk = await created_trunk(api)
    await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    created = await api.call("POST", "/v2/agent", {"agent_config": {"agent_name": "Sales"}})
    assert created.status_code == 201
    agent_id = created.json()["agent_id"]
    call = {"agent_id": agent_id, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}
    refused = await api.call("POST", "/call", call)
    assert (refused.status_code, refused.json()["code"]) == (400, "agent_not_sip_trunk")
    patched = await api.call("PATCH", f"/{agent_id}", {"agent_config": {"telephony_provider": "sip-trunk"}})
    assert patched.json()["agent_config"]["telephony_provider"] == "sip-trunk"
    placed = await api.call("POST", "/call", call)
    assert placed.status_code == 200
    execution_id = placed.json()["execution_id"]
    await api.settle()
    execution = (await api.call("GET", f"/executions/{execution_id}")).json()
    assert (execution["status"], execution["hangup_reason"], execution["direction"]) == (
        "completed",
        "Call ended normally",
        "outbound",
    )
    history = (await api.call("GET", f"/v2/agent/{agent_id}/executions")).json()
    assert [e["id"] for e in history] == [execution_id]
    assert (await api.call("GET", f"/executions/{execution_id}", key=OTHER_KEY)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("POST", "/v2/agent", {"agent_config": {}}, 400),
        ("POST", "/v2/agent", {"agent_config": {"agent_name": "x", "voice": "y"}}, 400),
        ("PATCH", "/v2/agent/nope", {"agent_config": {"telephony_provider": "sip-trunk"}}, 404),
        ("PATCH", f"/v2/agent/{AGENT}", {"agent_config": {"telephony_provider": "carrier-pigeon"}}, 400),
        ("GET", "/executions/nope", None, 404),
        ("GET", "/nope/nope", None, 404),
        ("PUT", "/sip-trunks/trunks", {}, 405),
    ],
)
async def test_other_refusals(api: Api, method: str, path: str, payload: Any, status: int) -> None:
    """Unknown fields, unknown objects, unknown routes and methods: clear statuses, the error shape."""
    response = await api.call(method, path, payload)
    assert response.status_code == status
    assert set(response.json()) == ({"detail", "code", "problems"} if status == 400 else {"detail", "code"})


async def test_openapi_document(api: Api) -> None:
    """/openapi.json is OpenAPI 3.1 and describes every route."""
    document = (await api.client.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    assert {"/sip-trunks/trunks", "/inbound/setup", "/call", "/executions/{execution_id}"} <= set(document["paths"])


async def test_an_agent_may_have_its_own_media_url(api: Api) -> None:
    """``agent_config.media_url`` (beyond the guide) is kept, read back, cleared with null, and checked."""
    created = await api.call(
        "POST", "/v2/agent", {"agent_config": {"agent_name": "Voice", "media_url": "wss://agents.example.com/voice"}}
    )
    assert created.status_code == 201
    agent_id = created.json()["agent_id"]
    read = await api.call("GET", f"/v2/agent/{agent_id}")
    assert read.json()["agent_config"]["media_url"] == "wss://agents.example.com/voice"
    cleared = await api.call("PATCH", f"/{agent_id}", {"agent_config": {"media_url": None}})
    assert "media_url" not in cleared.json()["agent_config"]
    for bad in ("https://agents.example.com/x", "wss://u:p@agents.example.com/x", "wss://a/{agent_id}", 7):
        refused = await api.call("PATCH", f"/{agent_id}", {"agent_config": {"media_url": bad}})
        assert refused.status_code == 400, bad
        assert refused.json()["detail"].startswith("agent_config.media_url "), refused.json()


async def test_trunks_carry_an_etag_that_if_match_checks(api: Api) -> None:
    """ETag is the trunk's version; PATCH and DELETE with an older one answer 412 and change nothing."""
    created = await api.call("POST", "/sip-trunks/trunks", USERPASS_TRUNK)
    trunk_id, first = created.json()["id"], created.headers["etag"]
    assert first == '"1"'
    path = f"/sip-trunks/trunks/{trunk_id}"
    assert (await api.call("GET", path)).headers["etag"] == first
    changed = await api.call("PATCH", path, {"description": "one"}, headers={"If-Match": first})
    assert (changed.status_code, changed.headers["etag"], changed.json()["description"]) == (200, '"2"', "one")
    for stale in (first, 'W/"2"', '"someone-else"', '"1", "7"'):
        refused = await api.call("PATCH", path, {"description": "two"}, headers={"If-Match": stale})
        assert refused.status_code == 412, (stale, refused.text)
        assert refused.json() == {
            "detail": "The trunk has changed since that version was read",
            "code": "trunk_version_mismatch",
        }
    assert (await api.call("DELETE", path, headers={"If-Match": first})).status_code == 412
    assert (await api.call("GET", path)).json()["description"] == "one"
    # A list naming the current version, or *, matches; a malformed header is refused, not ignored.
    assert (await api.call("PATCH", path, {"description": "two"}, headers={"If-Match": 'W/"2", "9", "2"'})).is_success
    assert (await api.call("PATCH", path, {"description": "3"}, headers={"If-Match": "*"})).headers["etag"] == '"4"'
    for malformed in ("4", '"4', '"4" "5"', " "):
        answer = await api.call("PATCH", path, {"description": "x"}, headers={"If-Match": malformed})
        assert (answer.status_code, answer.json()["code"]) == (400, "invalid_if_match"), malformed
    # Without If-Match, as the guide's clients send, the last write wins.
    assert (await api.call("PATCH", path, {"description": "last"})).headers["etag"] == '"5"'
    assert (await api.call("DELETE", path, headers={"If-Match": '"5"'})).status_code == 200
    missing = await api.call("DELETE", path, headers={"If-Match": '"6"'})
    assert missing.status_code == 404  # a trunk that is gone is not found, whatever the condition


async def test_a_patch_with_gateways_replaces_the_whole_list(api: Api) -> None:
    """PATCH sends one gateway to a trunk of two: the trunk keeps that one only, as the API docs say."""
    two = body(USERPASS_TRUNK, gateways=[
        {"gateway_address": "sip.zadarma.com", "port": 5060, "priority": 1},
        {"gateway_address": "sip2.zadarma.com", "port": 5060, "priority": 2},
    ])  # fmt: skip
    trunk = await created_trunk(api, two)
    assert len(trunk["gateways"]) == 2
    patch = {"gateways": [{"gateway_address": "sip3.zadarma.com", "port": 5060, "priority": 1}]}
    changed = (await api.call("PATCH", f"/sip-trunks/trunks/{trunk['id']}", patch)).json()
    assert [g["gateway_address"] for g in changed["gateways"]] == ["sip3.zadarma.com"]
    document = (await api.client.get("/openapi.json")).json()
    assert "replaces the whole list" in document["components"]["schemas"]["TrunkUpdate"]["description"]
