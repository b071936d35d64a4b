"""``byot serve``'s status callbacks: a receiver that was down gets every event, also after a SIGKILL.

In order per call and signed, although the instance that recorded them was killed before it could deliver them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from byot_core.testing import running_server
from byot_core.testing.live_server import free_port
from tests.support import USERPASS_TRUNK

KEY = "bk_callbacks_test_key"
HEADERS = {"Authorization": f"Bearer {KEY}"}
CALLS = 3


class _Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[dict[str, Any], str, str]]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.got.append((json.loads(raw), raw, self.headers["Byot-Signature"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


def _wait(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not in {within} s")
        time.sleep(0.1)


@pytest.mark.slow
def test_a_receiver_down_gets_every_event_after_the_recording_instance_was_killed(tmp_path: Path) -> None:
    """Three calls complete while the receiver is down; the server is killed; a new one delivers everything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")} | {"BYOT_API_KEYS": f"{KEY}=acct"}
    database = f"sqlite:///{tmp_path / 'byot.sqlite3'}"
    port = free_port()  # nothing listens there yet: the receiver is down
    hook = f"http://127.0.0.1:{port}/hook"
    with (
        running_server(database, env=env, cwd=tmp_path) as server,
        httpx.Client(base_url=server.url, headers=HEADERS, timeout=10) as http,
    ):
        secret = http.get("/account/callback-secret").json()["secret"]
        agent = http.post(
            "/v2/agent",
            json={"agent_config": {"agent_name": "a", "telephony_provider": "sip-trunk", "status_callback_url": hook}},
        ).json()["agent_id"]
        trunk = http.post("/sip-trunks/trunks", json=USERPASS_TRUNK).json()
        http.post(f"/sip-trunks/trunks/{trunk['id']}/numbers", json={"phone_number": "+919876543210"})
        call = {"agent_id": agent, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}
        executions = [http.post("/call", json=call).json()["execution_id"] for _ in range(CALLS)]
        _wait(
            lambda: all(http.get(f"/executions/{e}").json()["status"] == "completed" for e in executions),
            10,
            "the calls did not complete",
        )
        time.sleep(1.5)  # delivery tries (and fails) a few times
        server.process.kill()
        server.process.wait(timeout=30)

    _Receiver.got = []
    receiver = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with running_server(database, env=env, cwd=tmp_path):
            _wait(lambda: len(_Receiver.got) >= 4 * CALLS, 30, "every event did not arrive")
            time.sleep(0.5)  # nothing more arrives: no duplicates
    finally:
        receiver.shutdown()
        receiver.server_close()
    by_call: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for event, raw, signature in _Receiver.got:
        fields = dict(part.split("=", 1) for part in signature.split(","))
        expected = hmac.new(secret.encode(), f"{fields['t']}.{raw}".encode(), hashlib.sha256).hexdigest()
        assert hmac.compare_digest(fields["v1"], expected), "an event's signature does not check out"
        by_call[event["execution_id"]].append(event)
    assert sorted(by_call) == sorted(executions)
    for events in by_call.values():
        assert [e["sequence"] for e in events] == [1, 2, 3, 4]
        assert [e["status"] for e in events] == ["initiated", "ringing", "in-progress", "completed"]
    assert len({event["event_id"] for event, _, _ in _Receiver.got}) == 4 * CALLS
