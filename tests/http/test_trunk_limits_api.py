"""A trunk's limits over HTTP: ring timeouts within bounds, a full or busy trunk's 429 with Retry-After."""

from __future__ import annotations

from tests.http.conftest import AGENT, Api
from tests.http.test_api import created_trunk


async def test_ring_timeouts_are_set_on_trunks_and_calls_within_bounds(api: Api) -> None:
    """A trunk's ring_timeout_seconds defaults to 60 and is bounded; a call may give its own, bounded the same way."""
    trunk = await created_trunk(api)
    assert trunk["ring_timeout_seconds"] == 60
    patched = await api.call("PATCH", f"/sip-trunks/trunks/{trunk['id']}", {"ring_timeout_seconds": 25})
    assert patched.json()["ring_timeout_seconds"] == 25
    bad_values: tuple[object, ...] = (4, 601, "30", True, 2.5)
    for bad in bad_values:
        refused = await api.call("PATCH", f"/sip-trunks/trunks/{trunk['id']}", {"ring_timeout_seconds": bad})
        assert refused.status_code == 400, bad
    await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    call = {"agent_id": AGENT, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}
    for bad in bad_values:
        refused = await api.call("POST", "/call", {**call, "ring_timeout_seconds": bad})
        assert refused.status_code == 400, bad
        assert refused.json()["detail"].startswith("ring_timeout_seconds must be an integer"), refused.json()
    placed = await api.call("POST", "/call", {**call, "ring_timeout_seconds": 20})
    assert placed.status_code == 200, placed.json()


async def test_a_full_or_busy_trunk_answers_429_with_retry_after(api: Api) -> None:
    """A full or busy trunk (channels, calls_per_second: beyond the guide) answers 429 with Retry-After and a code."""
    trunk = await created_trunk(api)
    refused = await api.call("PATCH", f"/sip-trunks/trunks/{trunk['id']}", {"channels": 0, "calls_per_second": 1001})
    assert refused.status_code == 400
    limited = await api.call("PATCH", f"/sip-trunks/trunks/{trunk['id']}", {"channels": 1, "calls_per_second": 1})
    assert (limited.json()["channels"], limited.json()["calls_per_second"]) == (1, 1)
    await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    call = {"agent_id": AGENT, "recipient": {"phone_number": "+918800001234"}, "from_number": "+919876543210"}
    assert (await api.call("POST", "/call", call)).status_code == 200  # its call stays in progress until settled
    full = await api.call("POST", "/call", call)
    assert (full.status_code, full.json()["code"], full.headers["retry-after"]) == (429, "trunk_channels_full", "1")
    lifted = await api.call("PATCH", f"/sip-trunks/trunks/{trunk['id']}", {"channels": None})
    assert lifted.json()["channels"] is None
    for _ in range(10):  # one a second: slots 1 to 10 s ahead
        assert (await api.call("POST", "/call", call)).status_code == 200
    paced = await api.call("POST", "/call", call)
    assert (paced.status_code, paced.json()["code"]) == (429, "trunk_calls_per_second_exceeded")
    assert paced.headers["retry-after"] == "1"
