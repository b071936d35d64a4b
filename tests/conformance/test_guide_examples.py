"""The guide's own curl examples, run in the guide's order against a live `byot serve` on loopback.

The examples are kept as test data (guide_curl_examples.txt); the host is replaced by the live server's, the guide's
placeholder ids by the ids earlier answers returned. The server is started with the guide's placeholder API key.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from byot_core.testing import LiveServer, running_server

GUIDE_HOST = "https://api.bolna.ai"
GUIDE_KEY = "bn-xxxxxxxxxxxxxxxx"
EXAMPLES = Path(__file__).with_name("guide_curl_examples.txt")
PASSWORDS = ("SuperSecurePassword123", "NewSecurePassword456")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`byot serve` on a fresh SQLite file, as a newcomer would start it."""
    folder = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    env["BYOT_API_KEYS"] = f"{GUIDE_KEY}=user_abc123"
    with running_server(f"sqlite:///{folder / 'byot.sqlite3'}", env=env, cwd=folder) as live:
        yield live
    for password in PASSWORDS:
        assert password not in live.output, "a password reached the server's output"


def parse_curl(text: str) -> tuple[str, str, dict[str, str], Any]:
    """Method, URL, headers and JSON body of one curl command."""
    words = shlex.split(text.replace("\\\n", " "))
    method, url, headers, data = "GET", "", {}, None
    i = 1
    while i < len(words):
        word = words[i]
        if word == "-X":
            method, i = words[i + 1], i + 2
        elif word == "-H":
            name, _, value = words[i + 1].partition(":")
            headers[name.strip()], i = value.strip(), i + 2
        elif word == "-d":
            data, i = json.loads(words[i + 1]), i + 2
        else:
            url, i = word, i + 1
    return method, url, headers, data


def examples() -> list[str]:
    """The examples, split on their '---' separator lines (comment lines dropped)."""
    blocks: list[list[str]] = [[]]
    for line in EXAMPLES.read_text().splitlines():
        if line.strip() == "---":
            blocks.append([])
        elif not line.startswith("#"):
            blocks[-1].append(line)
    return ["\n".join(block).strip() for block in blocks if "".join(block).strip()]


Check = Callable[[Any, dict[str, str]], None]


def _expect(status: int, check: Check | None = None) -> tuple[int, Check | None]:
    return status, check


def _remember(name: str, value_of: Callable[[Any], str]) -> Check:
    def check(body: Any, ids: dict[str, str]) -> None:
        ids[name] = value_of(body)

    return check


def _all(*checks: Check) -> Check:
    def check(body: Any, ids: dict[str, str]) -> None:
        for one in checks:
            one(body, ids)

    return check


def _equals(**expected: Any) -> Check:
    def check(body: Any, ids: dict[str, str]) -> None:
        for key, value in expected.items():
            assert body[key] == value, (key, body[key], value)

    return check


def _no_password(body: Any, ids: dict[str, str]) -> None:
    assert "auth_password" not in body
    assert not any(p in json.dumps(body) for p in PASSWORDS)


# What each example (in the guide's order) must answer.
EXPECTED: list[tuple[int, Check | None]] = [
    _expect(
        201,
        _all(
            _no_password,
            _equals(name="Zadarma Production", auth_type="userpass", transport="transport-udp"),
            _remember("01HQXYZ123ABC456DEF", lambda b: b["id"]),
        ),
    ),
    _expect(201, _all(_no_password, _equals(name="Plivo Elastic Trunk", auth_type="ip-based"))),
    _expect(
        201,
        _all(
            _equals(phone_number="919876543210", telephony_provider="sip-trunk", deleted=False),
            _remember("01HQNUMBER111222333", lambda b: b["id"]),
        ),
    ),
    _expect(200, _equals(message="SIP trunk number successfully mapped to agent")),
    _expect(
        200, lambda b, ids: _equals(agent_config={"telephony_provider": "sip-trunk", "audio_format": "ulaw"})(b, ids)
    ),
    _expect(200, lambda b, ids: _equals(message="done")(b, ids)),
    _expect(200, lambda b, ids: None if sorted(t["phone_numbers_count"] for t in b) == [0, 1] else pytest.fail(str(b))),
    _expect(200, lambda b, ids: None if len(b) == 2 and all(t["is_active"] for t in b) else pytest.fail(str(b))),
    _expect(
        200,
        lambda b, ids: (
            None if [n["phone_number"] for n in b["phone_numbers"]] == ["919876543210"] else pytest.fail(str(b))
        ),
    ),
    _expect(200, lambda b, ids: None if [n["agent_id"] for n in b] == [ids["{agent_id}"]] else pytest.fail(str(b))),
    _expect(
        200,
        _all(
            _no_password,
            _equals(outbound_leading_plus_enabled=False),
            lambda b, ids: _equals(gateway_address="sip.newprovider.com")(b["gateways"][0], ids),
        ),
    ),
    _expect(200, _all(_no_password, _equals(auth_username="new_bolna_user"))),
    _expect(200, _equals(message="Phone number removed successfully")),
    # The guide unlinks after removing the number: that number is gone, so the answer is its 404.
    _expect(404, _equals(detail="SIP trunk phone number not found in database")),
    _expect(200, _equals(message="Trunk deleted successfully. 0 phone number(s) removed.")),
]


def test_every_guide_example_against_a_live_server(server: LiveServer) -> None:
    """Each curl example of the guide answers with the status and the shape the guide documents."""
    with httpx.Client(timeout=10) as client:
        run_examples(client, server)


def run_examples(client: httpx.Client, server: LiveServer) -> None:
    """Create the agent the examples use, then run every example and check its answer."""
    headers = {"Authorization": f"Bearer {GUIDE_KEY}"}
    agent = client.post(f"{server.url}/v2/agent", json={"agent_config": {"agent_name": "Support"}}, headers=headers)
    assert agent.status_code == 201
    agent_id = agent.json()["agent_id"]
    # The guide's placeholders, replaced by real ids as earlier answers give them.
    ids = {"agt-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx": agent_id, "{agent_id}": agent_id}
    found = examples()
    assert len(found) == len(EXPECTED) == 15
    for index, (example, (status, check)) in enumerate(zip(found, EXPECTED, strict=True)):
        text = example.replace(GUIDE_HOST, server.url)
        for placeholder, value in ids.items():
            text = text.replace(placeholder, value)
        method, url, sent_headers, data = parse_curl(text)
        response = client.request(method, url, headers=sent_headers, json=data)
        assert response.status_code == status, (index, example.splitlines()[0], response.text)
        if check is not None:
            check(response.json(), ids)


@pytest.mark.parametrize(
    ("path", "payload", "status", "detail"),
    [
        (
            "/sip-trunks/trunks",
            {
                "provider": "x",
                "auth_type": "ip-based",
                "gateways": [{"gateway_address": "a.example"}],
                "ip_identifiers": [{"ip_address": "10.0.0.1"}],
            },
            400,
            "Trunk name is required",
        ),
        ("/sip-trunks/trunks", {"name": "e1", "auth_type": "ip-based"}, 400, "Provider is required"),
        ("/sip-trunks/trunks", {"name": "e2", "provider": "x"}, 400, "auth_type must be 'userpass' or 'ip-based'"),
        (
            "/sip-trunks/trunks",
            {"name": "e3", "provider": "x", "auth_type": "userpass", "auth_username": "u", "auth_password": "p"},
            400,
            "At least one gateway is required",
        ),
        (
            "/sip-trunks/trunks",
            {"name": "e4", "provider": "x", "auth_type": "userpass", "gateways": [{"gateway_address": "a.example"}]},
            400,
            "auth_username and auth_password are required for userpass auth",
        ),
        (
            "/sip-trunks/trunks",
            {"name": "e5", "provider": "x", "auth_type": "ip-based", "gateways": [{"gateway_address": "a.example"}]},
            400,
            "ip_identifiers are required for ip-based auth",
        ),
        ("/inbound/setup", {"agent_id": "agt-none", "phone_number_id": "01HQNUMBER111222333"}, 404, "Agent not found"),
    ],
)
def test_common_errors_against_a_live_server(
    server: LiveServer, path: str, payload: Any, status: int, detail: str
) -> None:
    """The guide's "Common Errors", to the letter, from the live server."""
    response = httpx.post(
        f"{server.url}{path}", json=payload, headers={"Authorization": f"Bearer {GUIDE_KEY}"}, timeout=10
    )
    assert (response.status_code, response.json()["detail"]) == (status, detail)


def test_number_errors_against_a_live_server(server: LiveServer) -> None:
    """'Phone number doesn't exist.' (404) and 'already exists on another active trunk' (409), live."""
    headers = {"Authorization": f"Bearer {GUIDE_KEY}"}
    agent = httpx.post(f"{server.url}/v2/agent", json={"agent_config": {"agent_name": "E"}}, headers=headers).json()
    unknown = httpx.post(
        f"{server.url}/inbound/setup",
        json={"agent_id": agent["agent_id"], "phone_number_id": "01HQNOPE"},
        headers=headers,
    )
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "Phone number doesn't exist.")
    trunk_ids = []
    for name in ("dup-a", "dup-b"):
        trunk = {
            "name": name,
            "provider": "x",
            "auth_type": "ip-based",
            "gateways": [{"gateway_address": "a.example"}],
            "ip_identifiers": [{"ip_address": "10.0.0.1"}],
        }
        trunk_ids.append(httpx.post(f"{server.url}/sip-trunks/trunks", json=trunk, headers=headers).json()["id"])
    first = httpx.post(
        f"{server.url}/sip-trunks/trunks/{trunk_ids[0]}/numbers", json={"phone_number": "+15550009999"}, headers=headers
    )
    assert first.status_code == 201
    second = httpx.post(
        f"{server.url}/sip-trunks/trunks/{trunk_ids[1]}/numbers", json={"phone_number": "15550009999"}, headers=headers
    )
    assert (second.status_code, second.json()["detail"]) == (409, "Phone number already exists on another active trunk")


def test_an_inbound_call_is_visible_over_http(server: LiveServer) -> None:
    """A call arriving on a mapped DID (through the fake carrier) becomes the agent's inbound execution."""
    headers = {"Authorization": f"Bearer {GUIDE_KEY}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        agent_id = client.post("/v2/agent", json={"agent_config": {"agent_name": "In"}}).json()["agent_id"]
        trunk = {
            "name": "inbound",
            "provider": "x",
            "auth_type": "ip-based",
            "inbound_enabled": True,
            "gateways": [{"gateway_address": "a.example"}],
            "ip_identifiers": [{"ip_address": "203.0.113.0/24"}],
        }
        trunk_id = client.post("/sip-trunks/trunks", json=trunk).json()["id"]
        number = client.post(f"/sip-trunks/trunks/{trunk_id}/numbers", json={"phone_number": "+15550004242"}).json()
        assert (
            client.post("/inbound/setup", json={"agent_id": agent_id, "phone_number_id": number["id"]}).status_code
            == 200
        )
        call = {"called": "15550004242", "source": "203.0.113.9", "caller": "+14155550100"}
        channel = client.post("/fake/inbound-calls", json=call).json()["channel_id"]
        deadline = time.monotonic() + 10
        while True:
            executions = client.get(f"/v2/agent/{agent_id}/executions").json()
            if executions and executions[0]["status"] == "in-progress":
                break
            assert time.monotonic() < deadline, executions
            time.sleep(0.05)
        assert (executions[0]["direction"], executions[0]["to_number"]) == ("inbound", "15550004242")
        client.post(f"/fake/inbound-calls/{channel}/hangup")
        while client.get(f"/executions/{executions[0]['id']}").json()["status"] != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # From an address outside the trunk's identifiers: refused, so no execution is recorded for it.
        refused = client.post("/fake/inbound-calls", json={"called": "15550004242", "source": "198.51.100.1"})
        assert refused.status_code == 201
        time.sleep(0.5)
        assert len(client.get(f"/v2/agent/{agent_id}/executions").json()) == 1
