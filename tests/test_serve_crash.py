"""``byot serve`` killed under a load of creates loses no acknowledged write and leaves no half-written trunk."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from byot_core.testing import running_server
from tests.support import USERPASS_TRUNK, body

KEY = "bk_crash_test_key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@pytest.mark.slow
def test_a_server_killed_under_load_kept_every_write_it_acknowledged(tmp_path: Path) -> None:
    """Eight clients create trunks at once (SQLite shares a transaction among them); the server is killed (SIGKILL).

    Started again on the same file, it lists every trunk whose create was answered 201, each whole (with its gateway);
    trunks whose answer was lost to the kill may be there too, whole as well.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")} | {"BYOT_API_KEYS": f"{KEY}=acct"}
    database = f"sqlite:///{tmp_path / 'byot.sqlite3'}"
    acknowledged: list[str] = []
    stop = threading.Event()

    def client(index: int, url: str) -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=5) as http:
            for n in range(100_000):
                if stop.is_set():
                    return
                name = f"c{index}-{n}"
                try:
                    answer = http.post("/sip-trunks/trunks", json=body(USERPASS_TRUNK, name=name))
                except httpx.HTTPError:
                    return  # the server is gone
                if answer.status_code == 201:
                    acknowledged.append(name)

    with running_server(database, env=env, cwd=tmp_path) as server:
        clients = [threading.Thread(target=client, args=(i, server.url)) for i in range(8)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 10
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.process.kill()
        server.process.wait(timeout=30)
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
    assert len(acknowledged) >= 200, "the load did not get going"

    with running_server(database, env=env, cwd=tmp_path) as again:
        listed = httpx.get(f"{again.url}/sip-trunks/trunks", headers=HEADERS, timeout=30).json()
    names = {trunk["name"] for trunk in listed}
    missing = set(acknowledged) - names
    assert not missing, f"{len(missing)} acknowledged creates were lost, e.g. {sorted(missing)[:3]}"
    posted = [gateway["gateway_address"] for gateway in USERPASS_TRUNK["gateways"]]
    for trunk in listed:
        assert [gateway["gateway_address"] for gateway in trunk["gateways"]] == posted, trunk["name"]
