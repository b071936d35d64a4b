"""``byot serve --ari-url`` and ``byot reconcile`` as processes, against a fake Asterisk on its own thread."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from byot_core.testing import running_server
from byot_core.testing.fake_asterisk import FakeAsterisk
from tests.asterisk.conftest import ARI_PASSWORD, resolve
from tests.support import USERPASS_TRUNK

API_KEY = "bk_end_to_end_key"


class AsteriskThread:
    """A fake Asterisk serving from a thread, so blocking code (subprocesses) can run beside it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.node = FakeAsterisk("byot", ARI_PASSWORD, resolve=resolve)

    def call(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=10)

    def __enter__(self) -> FakeAsterisk:
        self.thread.start()
        self.call(self.node.start())
        return self.node

    def __exit__(self, *_: object) -> None:
        self.call(self.node.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


async def snapshot(node: FakeAsterisk) -> dict[tuple[str, str], dict[str, str]]:
    """The node's objects, read on its own event loop."""
    return node.owned()


@pytest.fixture
def asterisk() -> Iterator[tuple[AsteriskThread, FakeAsterisk]]:
    thread = AsteriskThread()
    with thread as node:
        yield thread, node


def test_serve_pushes_trunks_and_reconcile_restores_them(
    asterisk: tuple[AsteriskThread, FakeAsterisk], tmp_path: Path
) -> None:
    """A trunk created over HTTP appears, and comes back by itself when Asterisk restarts under the server.

    After a restart with no server running, `byot reconcile` puts it back, exit 0.
    """
    thread, node = asterisk
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    env |= {
        "BYOT_API_KEYS": f"{API_KEY}=user_abc123",
        "BYOT_ARI_URL": node.url,
        "BYOT_ARI_USER": "byot",
        "BYOT_ARI_PASSWORD": ARI_PASSWORD,
    }
    database = f"sqlite:///{tmp_path / 'byot.sqlite3'}"
    with running_server(database, env=env, cwd=tmp_path) as server:
        answer = httpx.post(
            f"{server.url}/sip-trunks/trunks",
            json=USERPASS_TRUNK,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        )
        assert answer.status_code == 201
        trunk_id = answer.json()["id"]
        assert len(node.owned()) == 5
        pushed = thread.call(snapshot(node))
        # Asterisk restarts under the running server (down for 1 s): the trunk is back within seconds.
        thread.call(node.restart(downtime=1.0))
        assert thread.call(snapshot(node)) == {}
        deadline = time.monotonic() + 8
        while thread.call(snapshot(node)) != pushed or "endpoint:PJSIP" not in node.subscriptions():
            assert time.monotonic() < deadline, "the trunk was not pushed back within 8 s of the restart"
            time.sleep(0.05)
    assert "Telephony: Asterisk over ARI" in server.output
    assert ARI_PASSWORD not in server.output
    assert USERPASS_TRUNK["auth_password"] not in server.output

    thread.call(node.restart())
    assert node.owned() == {}
    command = [sys.executable, "-m", "byot_core.cli", "reconcile", "--database-url", database]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert "Trunks: 1 in step (1 changed, 5 objects written), 0 removed, 0 failed" in done.stdout
    assert {oid for _, oid in node.owned()} >= {f"byot-{trunk_id}-gw1", f"byot-{trunk_id}-auth"}
    assert ARI_PASSWORD not in done.stdout + done.stderr

    thread.call(node.stop())
    down = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert down.returncode == 1
    assert "1 failed" in down.stdout
    thread.call(node.start())


def test_reconcile_without_asterisk_settings_is_a_usage_error(tmp_path: Path) -> None:
    """No --ari-url and no BYOT_ARI_URL: exit 2 and a sentence saying what to set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    command = [sys.executable, "-m", "byot_core.cli", "reconcile", "--database-url", f"sqlite:///{tmp_path}/x.db"]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert done.returncode == 2
    assert "BYOT_ARI_URL" in done.stderr
