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

from byot_core import audio
from byot_core.demo_agent import DemoAgent
from byot_core.testing import running_server
from byot_core.testing.fake_asterisk import FakeAsterisk
from tests.asterisk.agents import AgentCall, TestAgent, tone_share
from tests.asterisk.conftest import ARI_PASSWORD, eventually, resolve
from tests.support import IP_TRUNK, USERPASS_TRUNK

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


def serve_env(node: FakeAsterisk, **more: str) -> dict[str, str]:
    """The environment of a ``byot`` process on the fake node, with none of this shell's BYOT_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    return env | {
        "BYOT_API_KEYS": f"{API_KEY}=user_abc123",
        "BYOT_ARI_URL": node.url,
        "BYOT_ARI_USER": "byot",
        "BYOT_ARI_PASSWORD": ARI_PASSWORD,
        **more,
    }


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
    env = serve_env(node)
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


def test_serve_connects_an_inbound_call_to_the_agents_media(
    asterisk: tuple[AsteriskThread, FakeAsterisk], tmp_path: Path
) -> None:
    """``byot serve`` with BYOT_AGENT_MEDIA_URL: a DID's caller and its agent hear each other (Twilio protocol)."""
    thread, node = asterisk
    agent = TestAgent()

    async def behaviour(call: AgentCall) -> None:
        await eventually(lambda: call.events("start"))
        await call.speak(audio.tone(1000, 1.0))
        await call.send_twilio("mark", mark={"name": "spoken"})

    agent.behaviour = behaviour
    thread.call(agent.start())
    node.default_voice = audio.tone(440, 1.0)
    env = serve_env(node, BYOT_AGENT_MEDIA_URL=agent.url + "/{agent_id}?from={from_number}")
    headers = {"Authorization": f"Bearer {API_KEY}"}
    try:
        database = f"sqlite:///{tmp_path / 'byot.sqlite3'}"
        with (
            running_server(database, env=env, cwd=tmp_path) as server,
            httpx.Client(base_url=server.url, headers=headers, timeout=10) as api,
        ):
            trunk = api.post("/sip-trunks/trunks", json=IP_TRUNK).json()
            number = api.post(f"/sip-trunks/trunks/{trunk['id']}/numbers", json={"phone_number": "+919876543210"})
            agent_id = api.post("/v2/agent", json={"agent_config": {"agent_name": "Reception"}}).json()["agent_id"]
            mapping = {"agent_id": agent_id, "phone_number_id": number.json()["id"]}
            assert api.post("/inbound/setup", json=mapping).status_code == 200
            channel = thread.call(_inbound(node, "+919876543210", "15.207.90.192"))
            deadline = time.monotonic() + 10
            while not (agent.calls and agent.calls[0].events("mark")):
                assert time.monotonic() < deadline, "the agent's mark did not come back"
                time.sleep(0.05)
            call = agent.calls[0]
            assert call.query == {"from": "+14155550100"}
            assert tone_share(bytes(call.heard), 440) > 0.95
            assert tone_share(thread.call(_heard(node, channel.id)), 1000) > 0.95
            execution_id = call.events("start")[0]["start"]["callSid"]
            assert api.get(f"/executions/{execution_id}").json()["status"] == "in-progress"
            thread.call(_hang_up(node, channel.id))
            deadline = time.monotonic() + 10
            while api.get(f"/executions/{execution_id}").json()["status"] != "completed":
                assert time.monotonic() < deadline, "the execution did not complete"
                time.sleep(0.05)
            # The agent's side of the socket reads the stop on its own time: it may come just after the record.
            while call.messages[-1]["event"] != "stop":
                assert time.monotonic() < deadline, f"the agent's last message is {call.messages[-1]['event']}"
                time.sleep(0.05)
    finally:
        thread.call(agent.stop())


async def _inbound(node: FakeAsterisk, did: str, source: str) -> Any:
    return node.inbound_call(did, source, caller="+14155550100")


async def _heard(node: FakeAsterisk, channel_id: str) -> bytes:
    return node.heard(channel_id)


async def _hang_up(node: FakeAsterisk, channel_id: str) -> None:
    node.remote_hang_up(channel_id)


def wait_until(check: Any, what: str, within: float = 10.0) -> None:
    """Poll ``check()`` (blocking code beside the fake's thread) until it is truthy."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what} not within {within} s"
        time.sleep(0.05)


@pytest.mark.parametrize("protocol", ["twilio", "asterisk"])
def test_serve_carries_audio_both_ways_in_both_directions(
    asterisk: tuple[AsteriskThread, FakeAsterisk], tmp_path: Path, protocol: str
) -> None:
    """``byot serve`` and the demo agent, each protocol: both directions hear the chime and their own echo."""
    thread, node = asterisk
    demo = DemoAgent(protocol, port=0)
    thread.call(demo.start())
    node.default_voice = audio.tone(440, 1.0)
    env = serve_env(node, BYOT_AGENT_MEDIA_URL=demo.url + "/{agent_id}", BYOT_AGENT_MEDIA_PROTOCOL=protocol)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    try:
        with (
            running_server(f"sqlite:///{tmp_path / 'byot.sqlite3'}", env=env, cwd=tmp_path) as server,
            httpx.Client(base_url=server.url, headers=headers, timeout=10) as api,
        ):
            trunk = api.post("/sip-trunks/trunks", json=IP_TRUNK).json()
            number = api.post(f"/sip-trunks/trunks/{trunk['id']}/numbers", json={"phone_number": "+919876543210"})
            agent_id = api.post("/v2/agent", json={"agent_config": {"agent_name": "Reception"}}).json()["agent_id"]
            api.patch(f"/{agent_id}", json={"agent_config": {"telephony_provider": "sip-trunk"}})
            api.post("/inbound/setup", json={"agent_id": agent_id, "phone_number_id": number.json()["id"]})
            inbound = thread.call(_inbound(node, "+919876543210", "15.207.90.192"))
            call = {"agent_id": agent_id, "recipient": {"phone_number": "+918800001234"},
                    "from_number": "+919876543210"}  # fmt: skip
            execution_id = api.post("/call", json=call).json()["execution_id"]
            wait_until(lambda: len(demo.calls) == 2 and all(c.frames_heard >= 50 for c in demo.calls), "the echoes")
            time.sleep(0.3)  # the last echoed frames play
            outbound = api.get(f"/executions/{execution_id}").json()["attempts"][0]["channel_id"]
            for channel_id in (inbound.id, outbound):
                heard = [f for f in audio.frames(thread.call(_heard(node, channel_id))) if any(b != 0xFF for b in f)]
                assert audio.share_of(b"".join(heard[:15]), 440) > 0.9  # the chime's first note
                assert audio.share_of(b"".join(heard[45:]), 440) > 0.95  # then the caller's own voice
                thread.call(_hang_up(node, channel_id))
            wait_until(
                lambda: all(e["status"] == "completed" and "media" in e for e in
                            api.get(f"/v2/agent/{agent_id}/executions").json()),
                "both executions completed with media figures",
            )  # fmt: skip
            executions = api.get(f"/v2/agent/{agent_id}/executions").json()
            assert {e["direction"] for e in executions} == {"inbound", "outbound"}
            for execution in executions:
                assert execution["media"]["protocol"] == protocol
                assert execution["media"]["ending"] == "caller-left"
                if protocol == "twilio":
                    assert execution["media"]["frames_to_agent"] >= 50
    finally:
        thread.call(demo.stop())
