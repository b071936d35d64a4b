"""The toll-fraud guard over HTTP: the account's outbound destinations, a trunk's own, and the 403 a call gets."""

from __future__ import annotations

from tests.http.conftest import OTHER_KEY, Api
from tests.support import AGENT, IP_TRUNK, body

CALL = {"agent_id": AGENT, "recipient": {"phone_number": "+19002345678"}, "from_number": "+919876543210"}
DEFAULT = {"countries": [], "premium_rate": False, "shared_cost": False, "satellite": False, "refused_calls": 0}


async def test_a_premium_rate_call_is_refused_with_403_and_counted(api: Api) -> None:
    """Nothing dialled, nothing recorded, the account's count up by one (and only the account's)."""
    trunk = (await api.call("POST", "/sip-trunks/trunks", IP_TRUNK)).json()
    assert trunk["outbound_destinations"] == {
        "countries": [], "premium_rate": None, "shared_cost": None, "satellite": None,
    }  # fmt: skip
    await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    assert (await api.call("GET", "/account/outbound-destinations")).json() == DEFAULT
    answer = await api.call("POST", "/call", CALL)
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "Calls to premium-rate numbers are not allowed: +19002345678 is one (allow premium_rate in the "
        "account's or the trunk's outbound destinations)",
        "code": "destination_not_allowed",
    }
    assert api.world.telephony.placed == []
    assert (await api.call("GET", f"/v2/agent/{AGENT}/executions")).json() == []
    assert (await api.call("GET", "/account/outbound-destinations")).json()["refused_calls"] == 1
    other = await api.call("GET", "/account/outbound-destinations", key=OTHER_KEY)
    assert other.json()["refused_calls"] == 0


async def test_the_account_policy_is_replaced_whole_and_a_trunk_can_widen_it(api: Api) -> None:
    """PUT answers the policy as stored; a trunk's premium_rate: true lets its own calls through."""
    put = await api.call("PUT", "/account/outbound-destinations", {"countries": ["us", "in"]})
    assert (put.status_code, put.json()) == (200, {**DEFAULT, "countries": ["IN", "US"]})
    bad = await api.call("PUT", "/account/outbound-destinations", {"countries": "IN", "satellite": None})
    assert bad.status_code == 400
    assert [p["path"] for p in bad.json()["problems"]] == ["satellite", "countries"]
    widened = body(IP_TRUNK, outbound_destinations={"premium_rate": True})
    trunk = (await api.call("POST", "/sip-trunks/trunks", widened)).json()
    assert trunk["outbound_destinations"]["premium_rate"] is True
    await api.call("POST", f"/sip-trunks/trunks/{trunk['id']}/numbers", {"phone_number": "+919876543210"})
    answer = await api.call("POST", "/call", CALL)
    assert (answer.status_code, answer.json()["status"]) == (200, "initiated")
    narrowed = await api.call(
        "PATCH",
        f"/sip-trunks/trunks/{trunk['id']}",
        {"outbound_destinations": {"countries": ["GB"], "premium_rate": True}},
    )
    assert narrowed.json()["outbound_destinations"]["countries"] == ["GB"]  # replaced whole
    refused = await api.call("POST", "/call", CALL)
    assert refused.json()["detail"] == (
        "Calls to +19002345678 are not allowed: it is in US, and outbound destinations allow GB only"
    )
