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


@pytest.mark.slow
def test_the_access_log_and_info_level_show_requests_and_refused_calls(tmp_path: Path) -> None:
    """Off by default; with BYOT_ACCESS_LOG and BYOT_LOG_LEVEL=info, a request line and the refused call's rule."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")} | {"BYOT_API_KEYS": f"{KEY}=acct"}
    headers = {"Authorization": f"Bearer {KEY}"}
    call = {"called": "+14155550199", "source": "203.0.113.7"}
    with running_server(f"sqlite:///{tmp_path / 'quiet.sqlite3'}", env=env, cwd=tmp_path) as quiet:
        assert httpx.get(f"{quiet.url}/sip-trunks/trunks", headers=headers).status_code == 200
        assert httpx.post(f"{quiet.url}/fake/inbound-calls", json=call, headers=headers).status_code == 201
    assert "GET /sip-trunks/trunks" not in quiet.output
    assert "refused" not in quiet.output
    loud_env = env | {"BYOT_ACCESS_LOG": "1", "BYOT_LOG_LEVEL": "info"}
    with running_server(f"sqlite:///{tmp_path / 'loud.sqlite3'}", env=loud_env, cwd=tmp_path) as loud:
        assert httpx.get(f"{loud.url}/sip-trunks/trunks", headers=headers).status_code == 200
        assert httpx.post(f"{loud.url}/fake/inbound-calls", json=call, headers=headers).status_code == 201
    assert '"GET /sip-trunks/trunks HTTP/1.1" 200' in loud.output
    assert "to +14155550199 from 203.0.113.7 refused: unknown_number (SIP 404, cause 1)" in loud.output
    assert KEY not in loud.output


def test_byot_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    """The version printed is the installed package's."""
    from importlib.metadata import version

    from byot_core.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"byot {version('byot-core')}\n"
