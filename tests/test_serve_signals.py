"""``byot serve`` stops cleanly on SIGTERM and SIGINT: it closes storage and telephony and exits 0."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from byot_core.testing import running_server
from tests.support import USERPASS_TRUNK

KEY = "bk_signal_test_key"


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_closes_everything_and_exits_0(tmp_path: Path, stop: signal.Signals) -> None:
    """After a write, the signal: exit 0, no "Aborted!", the SQLite WAL checkpointed away, the data kept."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")} | {"BYOT_API_KEYS": f"{KEY}=acct"}
    database = tmp_path / "byot.sqlite3"
    with running_server(f"sqlite:///{database}", env=env, cwd=tmp_path) as server:
        created = httpx.post(
            f"{server.url}/sip-trunks/trunks", json=USERPASS_TRUNK, headers={"Authorization": f"Bearer {KEY}"}
        )
        assert created.status_code == 201
        assert (tmp_path / "byot.sqlite3-wal").exists()
        server.process.send_signal(stop)
        assert server.process.wait(timeout=30) == 0
    assert "byot stopped: storage and telephony closed" in server.output
    assert "Aborted" not in server.output
    assert "Traceback" not in server.output
    assert not (tmp_path / "byot.sqlite3-wal").exists()
    with running_server(f"sqlite:///{database}", env=env, cwd=tmp_path) as again:
        listed = httpx.get(f"{again.url}/sip-trunks/trunks", headers={"Authorization": f"Bearer {KEY}"})
        assert [t["name"] for t in listed.json()] == [USERPASS_TRUNK["name"]]
