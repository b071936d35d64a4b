"""The fake carrier's routes (``byot serve`` on the fake telephony): each account rings only its own numbers."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from byot_core.testing import running_server
from tests.support import IP_TRUNK

OWNER, STRANGER = "bk_owner_key", "bk_stranger_key"


@pytest.mark.slow
def test_only_the_owner_rings_a_number_and_hangs_up_its_calls(tmp_path: Path) -> None:
    """Another account's number is not found (404), a missing key is 401 with WWW-Authenticate."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    env["BYOT_API_KEYS"] = f"{OWNER}=owner,{STRANGER}=stranger"
    with (
        running_server(f"sqlite:///{tmp_path / 'byot.sqlite3'}", env=env, cwd=tmp_path) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {OWNER}"}, timeout=10) as owner,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {STRANGER}"}, timeout=10) as stranger,
    ):
        trunk = owner.post("/sip-trunks/trunks", json=IP_TRUNK).json()["id"]
        owner.post(f"/sip-trunks/trunks/{trunk}/numbers", json={"phone_number": "+15550004242"})
        call = {"called": "15550004242", "source": "15.207.90.192"}
        refused = stranger.post("/fake/inbound-calls", json=call)
        assert (refused.status_code, refused.json()["code"]) == (404, "phone_number_not_found")
        channel = owner.post("/fake/inbound-calls", json=call).json()["channel_id"]
        assert stranger.post(f"/fake/inbound-calls/{channel}/hangup").status_code == 404
        assert owner.post(f"/fake/inbound-calls/{channel}/hangup").status_code == 200
        unknown = stranger.post("/fake/inbound-calls", json={"called": "15559990000"})
        assert unknown.status_code == 201, "a number nobody holds rings, to be refused by routing"
        anonymous = httpx.post(f"{server.url}/fake/inbound-calls", json=call, timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        hostile = owner.post("/fake/inbound-calls", content=b'{"called": "\\ud800"}')
        assert hostile.status_code == 400
