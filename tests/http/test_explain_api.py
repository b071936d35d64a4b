"""GET /inbound/explain over HTTP: why a call would be routed or refused."""

from __future__ import annotations

from tests.http.conftest import AGENT, OTHER_KEY, Api
from tests.http.test_api import created_trunk
from tests.support import IP_TRUNK


async def test_explain_says_why_a_call_would_be_routed_or_refused(api: Api) -> None:
    """GET /inbound/explain: rule by rule, for the account's own numbers; another account's number reads unknown."""
    trunk = await created_trunk(api, IP_TRUNK)
    number = (
        await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "919876543210"})
    ).json()
    unmapped = (
        await api.call("GET", "/inbound/explain", params={"to": "+919876543210", "source": "198.51.100.9"})
    ).json()
    assert (unmapped["routed"], unmapped["refused"], unmapped["sip_code"]) == (False, "source_not_allowed", 403)
    assert [(c["rule"], c["passed"]) for c in unmapped["checks"]][-1] == ("source allowed", False)
    await api.call("POST", "/inbound/setup", {"agent_id": AGENT, "phone_number_id": number["id"]})
    allowed = "15.207.90.193"  # inside the trunk's 15.207.90.192/31
    routed = await api.call("GET", "/inbound/explain", params={"to": "919876543210", "source": allowed})
    assert routed.status_code == 200
    assert (routed.json()["routed"], routed.json()["agent_id"], routed.json()["refused"]) == (True, AGENT, None)
    assert all(c["passed"] for c in routed.json()["checks"])
    theirs = await api.call("GET", "/inbound/explain", params={"to": "+919876543210"}, key=OTHER_KEY)
    assert (theirs.json()["refused"], theirs.json()["trunk_id"], theirs.json()["agent_id"]) == (
        "unknown_number", None, None
    )  # fmt: skip
    bad = await api.call("GET", "/inbound/explain", params={"source": "not-an-ip"})
    assert bad.status_code == 400
    assert [p["path"] for p in bad.json()["problems"]] == ["to", "source"]
