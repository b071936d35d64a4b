"""Three ``byot serve`` processes on one PostgreSQL and two fake Asterisk nodes; one is killed (SIGKILL) mid-traffic.

Inbound calls keep reaching their agent through the next instance of the dialplan's list, and so does an outbound
call answered after its instance died; the killed instance's calls are finished or followed by another within the
lease's bound, and a trunk changed meanwhile ends applied on every node.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from byot_core.adapters.asterisk.extensions import render_extensions
from byot_core.adapters.fernet_secrets import new_key
from byot_core.services.instances import LEASE_SECONDS, RENEW_SECONDS
from byot_core.testing import running_server
from byot_core.testing.fake_asterisk import FakeAsterisk
from tests.asterisk.test_cli_end_to_end import API_KEY, AsteriskThread, serve_env
from tests.backends import fresh_postgres_url
from tests.support import IP_TRUNK

APPS = ("byot-a", "byot-b", "byot-c")
DID, CARRIER = "+919876543210", "15.207.90.192"
#: A stopped instance's calls are taken over within a lease and a look (plus time for the test's own polling).
TAKEOVER_BOUND = LEASE_SECONDS + RENEW_SECONDS + 5


def wait_for(check: Callable[[], Any], what: str, within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what}: not within {within} s"
        time.sleep(0.1)
    return found


async def _on_node(node: FakeAsterisk, work: Callable[[], Any]) -> Any:
    return work()


@pytest.mark.slow
def test_killing_an_instance_loses_no_inbound_call_and_leaves_no_call_unfinished(tmp_path: Path) -> None:
    """Kill -9 of the instance that takes inbound calls first and placed calls: nothing is lost."""
    database = asyncio.run(fresh_postgres_url())
    threads = [AsteriskThread(), AsteriskThread()]
    with threads[0] as node, threads[1] as other, contextlib.ExitStack() as stack:

        def on(which: FakeAsterisk, work: Callable[[], Any]) -> Any:
            return threads[0 if which is node else 1].call(_on_node(which, work))

        def on_node(work: Callable[[], Any]) -> Any:
            return on(node, work)

        for each in (node, other):
            on(each, partial(each.load_dialplan, render_extensions(APPS)))
        key = new_key()
        urls = f"{node.url},{other.url}"
        servers = {
            app: stack.enter_context(
                running_server(
                    database,
                    env=serve_env(node, BYOT_ARI_APP=app, BYOT_SECRET_KEYS=key, BYOT_ARI_URL=urls),
                    cwd=tmp_path,
                )
            )
            for app in APPS
        }
        headers = {"Authorization": f"Bearer {API_KEY}"}
        api = {
            app: stack.enter_context(httpx.Client(base_url=server.url, headers=headers, timeout=10))
            for app, server in servers.items()
        }

        def connected(each: FakeAsterisk) -> bool:
            return set(APPS) <= set(on(each, each.connected_apps))

        def hang_up(channel_id: str) -> None:
            """The far end hangs up, on whichever node holds the channel (outbound calls take turns)."""
            for each in (node, other):
                if channel_id in each.book.channels:
                    on(each, partial(each.remote_hang_up, channel_id))

        for each in (node, other):
            wait_for(partial(connected, each), "every instance connected")

        trunk = api["byot-a"].post("/sip-trunks/trunks", json=IP_TRUNK).json()
        number = api["byot-b"].post(f"/sip-trunks/trunks/{trunk['id']}/numbers", json={"phone_number": DID}).json()
        agent_id = (
            api["byot-c"].post("/v2/agent", json={"agent_config": {"agent_name": "Reception"}}).json()["agent_id"]
        )
        api["byot-a"].patch(f"/{agent_id}", json={"agent_config": {"telephony_provider": "sip-trunk"}})
        api["byot-a"].post("/inbound/setup", json={"agent_id": agent_id, "phone_number_id": number["id"]})

        def executions() -> list[dict[str, Any]]:
            return list(api["byot-c"].get(f"/v2/agent/{agent_id}/executions").json())

        def status(execution_id: str) -> str:
            return str(api["byot-c"].get(f"/executions/{execution_id}").json()["status"])

        # Traffic through byot-a: an inbound call (the dialplan's first choice) and two outbound calls.
        first = on_node(lambda: node.inbound_call(DID, CARRIER, caller="+14155550100"))
        assert first.app == "byot-a"
        call = {"agent_id": agent_id, "recipient": {"phone_number": "+918800001234"}, "from_number": DID}
        placed = [api["byot-a"].post("/call", json=call).json()["execution_id"] for _ in range(2)]
        wait_for(lambda: all(e["status"] == "in-progress" for e in executions()) and len(executions()) == 3, "calls up")
        outbound_channels = [api["byot-c"].get(f"/executions/{e}").json()["attempts"][0]["channel_id"] for e in placed]
        # One more outbound call from byot-a, still ringing when byot-a dies: its callee picks up 2 s later.
        for each in (node, other):
            on(each, partial(setattr, each.book, "answer_after", 2.0))
        ringing = api["byot-a"].post("/call", json=call).json()["execution_id"]
        wait_for(lambda: status(ringing) == "ringing", "the third call ringing")

        servers["byot-a"].process.kill()  # SIGKILL: no clean stop, no lease released
        servers["byot-a"].process.wait(timeout=10)
        killed_at = time.monotonic()

        # The kernel closes the dead process's sockets; each node drops its application as soon as it reads that.
        def dropped(each: FakeAsterisk) -> bool:
            return "byot-a" not in on(each, each.connected_apps)

        for each in (node, other):
            wait_for(partial(dropped, each), "byot-a dropped by the nodes", 1.0)

        # The next inbound call, here on the other node, enters byot-b at once (Stasis fails for byot-a) and reaches
        # the agent.
        second = on(other, lambda: other.inbound_call(DID, CARRIER, caller="+14155550101"))
        assert second.app == "byot-b"
        wait_for(lambda: len(executions()) == 5 and executions()[0]["status"] == "in-progress", "second inbound call")
        assert time.monotonic() - killed_at < 5

        # A trunk changed while byot-a is dead ends applied on every node.
        changed = {"gateways": [{"gateway_address": "198.51.100.99", "port": 5060, "priority": 1}]}
        assert api["byot-b"].patch(f"/sip-trunks/trunks/{trunk['id']}", json=changed).status_code == 200

        def holds_the_change(each: FakeAsterisk) -> bool:
            return any("198.51.100.99" in fields.get("contact", "") for fields in on(each, each.owned).values())

        for each in (node, other):
            wait_for(partial(holds_the_change, each), "the changed trunk on every node")

        # The call that rang while byot-a died was answered into the dialplan's next application and reached the
        # agent there, before any takeover: nothing waited for byot-a's lease to end.
        wait_for(lambda: status(ringing) == "in-progress", "the call answered after its instance died", 5)
        answered_channel = api["byot-c"].get(f"/executions/{ringing}").json()["attempts"][0]["channel_id"]
        holders = [each for each in (node, other) if answered_channel in each.book.channels]
        assert [each.book.channels[answered_channel].app for each in holders] in (["byot-b"], ["byot-c"])
        assert time.monotonic() - killed_at < TAKEOVER_BOUND - RENEW_SECONDS

        # One of byot-a's calls ends before its takeover: the other instances hear it through their endpoint
        # subscription (Asterisk sends every PJSIP channel's events there) and finish it as it was seen.
        hang_up(outbound_channels[0])
        wait_for(lambda: status(placed[0]) == "completed", "the call that ended finished", 5)
        seen = api["byot-b"].get(f"/executions/{placed[0]}").json()
        assert seen["hangup_reason"] == "Call ended normally"
        # The live ones are followed by their new instance: their ends are seen and recorded as usual.
        time.sleep(RENEW_SECONDS)  # the takeover's look may still be asking about them
        for channel_id in (outbound_channels[1], answered_channel, first.id, second.id):
            hang_up(channel_id)
        wait_for(lambda: all(e["status"] == "completed" for e in executions()), "every call finished", 10)
        ended = {e["id"]: e for e in executions()}
        assert ended[placed[1]]["hangup_reason"] == "Call ended normally"
        assert ended[ringing]["hangup_reason"] == "Call ended normally"
        assert time.monotonic() - killed_at < TAKEOVER_BOUND + RENEW_SECONDS + 10
    for app in ("byot-b", "byot-c"):
        assert "Traceback" not in servers[app].output, servers[app].output
