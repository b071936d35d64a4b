"""The toll-fraud guard, on every storage: calls and transfers outside the policy are refused and counted."""

from __future__ import annotations

from typing import Any

import pytest

from byot_core import ValidationFailed
from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.destinations import DestinationNotAllowed, DestinationPolicy
from byot_core.domain.errors import ErrorKind
from byot_core.domain.status import ExecutionStatus
from byot_core.domain.transfer import transfer_request
from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from byot_core.web import http_status
from tests.support import ACCOUNT, AGENT, GUIDE_CALL, OTHER_ACCOUNT, World, body
from tests.usecases.test_calls import trunk_with_number

US_PREMIUM = "+19002345678"
GB_PREMIUM = "+449012345678"
DE_SHARED_COST = "+4918012345"
IRIDIUM = "+881612345678"
US_ORDINARY = "+14155550100"
IN_ORDINARY = "+918800001234"


def call_to(number: str) -> dict[str, Any]:
    return body(GUIDE_CALL, recipient={"phone_number": number, "name": "Someone"})


async def refused(world: World, number: str) -> DestinationNotAllowed:
    """Place a call that must be refused: returns the error, after checking nothing was dialled or recorded."""
    placed_before = len(world.telephony.placed)
    with pytest.raises(DestinationNotAllowed) as caught:
        await GuideApi(world.app).calls.place(ACCOUNT, call_to(number))
    assert len(world.telephony.placed) == placed_before, "a refused call was dialled"
    assert caught.value.code == "destination_not_allowed"
    assert (caught.value.kind, http_status(caught.value)) == (ErrorKind.FORBIDDEN, 403)
    return caught.value


async def placed(world: World, number: str) -> None:
    execution = await GuideApi(world.app).calls.place(ACCOUNT, call_to(number))
    assert execution.status is ExecutionStatus.INITIATED
    assert world.telephony.placed[-1].request.dialled == number


@pytest.mark.parametrize(
    ("number", "words"),
    [(US_PREMIUM, "premium-rate"), (GB_PREMIUM, "premium-rate"), (DE_SHARED_COST, "shared-cost"),
     (IRIDIUM, "satellite"), ("+97912345678", "premium-rate")],
)  # fmt: skip
async def test_by_default_premium_shared_cost_and_satellite_numbers_are_refused(
    world: World, number: str, words: str
) -> None:
    """An account that set nothing may call every country, but none of the three kinds that pay the callee."""
    await trunk_with_number(world)
    error = await refused(world, number)
    assert f"Calls to {words} numbers are not allowed: {number} is one" in error.message
    assert await world.app.calls.list_for_agent(ACCOUNT, AGENT) == [], "a refused call left an execution"
    assert (await world.app.destinations.get(ACCOUNT)).refused_calls == 1
    assert (await world.app.destinations.get(OTHER_ACCOUNT)).refused_calls == 0
    await placed(world, US_ORDINARY)
    await placed(world, IN_ORDINARY)


async def test_an_accounts_countries_and_kinds_decide_for_its_trunks(world: World) -> None:
    """Countries listed: only those; a kind allowed: allowed; the count goes up once per refusal."""
    await trunk_with_number(world)
    await world.app.destinations.set(ACCOUNT, DestinationPolicy(countries=("IN", "GB"), premium_rate=True))
    error = await refused(world, US_ORDINARY)
    assert error.message == (
        f"Calls to {US_ORDINARY} are not allowed: it is in US, and outbound destinations allow GB, IN only"
    )
    error = await refused(world, IRIDIUM)
    assert "satellite" in error.message
    await placed(world, IN_ORDINARY)
    await placed(world, GB_PREMIUM)  # premium-rate allowed, and in an allowed country
    await refused(world, US_PREMIUM)  # premium-rate allowed, but not in an allowed country
    assert (await world.app.destinations.get(ACCOUNT)).refused_calls == 3


async def test_a_trunks_own_policy_narrows_or_widens_the_accounts(world: World) -> None:
    """A trunk's countries replace the account's; its flags win where set; null goes back to the account's."""
    trunk_id = await trunk_with_number(world, outbound_destinations={"countries": ["us"], "premium_rate": True})
    await world.app.destinations.set(ACCOUNT, DestinationPolicy(countries=("IN",)))
    await placed(world, US_ORDINARY)
    await placed(world, US_PREMIUM)
    await refused(world, IN_ORDINARY)
    details = await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, {"outbound_destinations": None})
    assert details.trunk.destinations == DestinationPolicy()
    await placed(world, IN_ORDINARY)
    await refused(world, US_ORDINARY)
    narrower = {"outbound_destinations": {"satellite": False, "countries": []}}
    await world.app.destinations.set(ACCOUNT, DestinationPolicy(satellite=True))
    await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, narrower)
    await refused(world, IRIDIUM)


async def test_a_policy_change_pushes_nothing_to_telephony(world: World) -> None:
    """Asterisk never sees where calls may go: changing it while telephony is down leaves the trunk applied."""
    trunk_id = await trunk_with_number(world)
    world.telephony.down = True
    change = {"outbound_destinations": {"countries": ["IN", "GB"], "shared_cost": True}}
    updated = (await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, change)).trunk
    assert updated.sync_state is SyncState.APPLIED
    stored = (await world.app.trunks.get(ACCOUNT, trunk_id)).trunk
    assert stored.destinations == DestinationPolicy(countries=("GB", "IN"), shared_cost=True)


async def test_a_transfer_outside_the_policy_is_refused_and_the_call_goes_on(world: World) -> None:
    """An agent talked into transferring to a premium-rate number: refused, counted, nothing dialled."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    call = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    dialled = len(world.telephony.placed)
    with pytest.raises(DestinationNotAllowed, match="premium-rate"):
        await world.app.control.transfer(ACCOUNT, call.id, transfer_request(US_PREMIUM))
    assert len(world.telephony.placed) == dialled
    after = await world.app.calls.get(ACCOUNT, call.id)
    assert (after.status, after.transfers) == (ExecutionStatus.IN_PROGRESS, ())
    assert (await world.app.destinations.get(ACCOUNT)).refused_calls == 1
    started = await world.app.control.transfer(ACCOUNT, call.id, transfer_request(US_ORDINARY))
    assert len(started.transfers) == 1


async def test_unknown_country_codes_are_refused_with_their_path(world: World) -> None:
    """On a trunk body, on an account body, and on a typed policy alike; nothing is written."""
    with pytest.raises(ValidationFailed) as caught:
        await trunk_with_number(world, outbound_destinations={"countries": ["IN", "XX"], "premium_rate": "yes"})
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("outbound_destinations.premium_rate", "invalid_field"),
    ]
    with pytest.raises(ValidationFailed) as caught:
        await trunk_with_number(world, outbound_destinations={"countries": ["IN", "XX"]})
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("outbound_destinations.countries[1]", "invalid_country")
    ]
    assert caught.value.message == (
        "outbound_destinations.countries[1] must be an ISO 3166 country code such as 'IN' or 'US'"
    )
    assert await world.app.trunks.list(ACCOUNT) == []
    with pytest.raises(ValidationFailed, match=r"^countries\[0\] must be an ISO 3166"):
        await GuideApi(world.app).destinations.set(ACCOUNT, {"countries": ["EU"]})
    with pytest.raises(ValidationFailed, match=r"^countries\[0\] must be an ISO 3166"):
        await world.app.destinations.set(ACCOUNT, DestinationPolicy(countries=("001",)))
    with pytest.raises(ValidationFailed, match="Unknown field 'premium'"):
        await GuideApi(world.app).destinations.set(ACCOUNT, {"premium": True})
    assert (await world.app.destinations.get(ACCOUNT)).policy.countries == ()


async def test_an_account_body_reads_as_documented(world: World) -> None:
    """Codes in either case, kept sorted and once; flags left out are no."""
    result = await GuideApi(world.app).destinations.set(ACCOUNT, {"countries": ["us", "IN", "US"], "satellite": True})
    assert result.policy == DestinationPolicy(
        countries=("IN", "US"), premium_rate=False, shared_cost=False, satellite=True
    )
    assert (await world.app.destinations.get(ACCOUNT)).policy == result.policy
