"""Acting on a call in progress: DTMF into it, hang it up; each refused as it should be."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byot_core import ExecutionNotFound, ValidationFailed
from byot_core.adapters.fake_telephony import Outcome
from byot_core.domain.call_control import DTMF_CHARACTERS, MAX_DTMF, MSG_DTMF, CallNotInProgress, dtmf_digits
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, GUIDE_CALL, OTHER_ACCOUNT, World
from tests.usecases.test_calls import trunk_with_number


@given(st.text(alphabet="0123456789*#ABCDwxW a+", max_size=70))
def test_dtmf_digits_are_keypad_keys_and_pauses_at_most_64(text: str) -> None:
    """Accepted exactly when every character is 0-9, *, #, A-D or w and there are 1 to 64 of them."""
    valid = 1 <= len(text) <= MAX_DTMF and set(text) <= DTMF_CHARACTERS
    if valid:
        assert dtmf_digits(text) == text
    else:
        with pytest.raises(ValidationFailed) as refused:
            dtmf_digits(text)
        assert (refused.value.code, refused.value.message, refused.value.problems[0].path) == (
            "invalid_digits",
            MSG_DTMF,
            "digits",
        )


async def test_dtmf_reaches_the_answered_call_and_nothing_else(world: World) -> None:
    """Sent to the answered call's channel; refused before the answer, after the end, for bad digits or accounts."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    with pytest.raises(CallNotInProgress):  # not answered yet
        await world.app.control.send_dtmf(ACCOUNT, placed.id, "1")
    await world.settle()
    channel = placed.attempts[0].channel_id
    await GuideApi(world.app).control.send_dtmf(ACCOUNT, placed.id, {"digits": "123#"})
    await world.app.control.send_dtmf(ACCOUNT, placed.id, "wA")
    assert world.telephony.dtmf == {channel: "123#wA"}
    with pytest.raises(ValidationFailed):
        await world.app.control.send_dtmf(ACCOUNT, placed.id, "12x")
    with pytest.raises(ValidationFailed):
        await GuideApi(world.app).control.send_dtmf(ACCOUNT, placed.id, {"digits": "1", "extra": True})
    with pytest.raises(ExecutionNotFound):
        await world.app.control.send_dtmf(OTHER_ACCOUNT, placed.id, "1")
    assert world.telephony.dtmf == {channel: "123#wA"}
    await world.app.control.hang_up(ACCOUNT, placed.id)
    await world.settle()
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.COMPLETED
    with pytest.raises(CallNotInProgress):
        await world.app.control.send_dtmf(ACCOUNT, placed.id, "1")


async def test_hanging_up_is_idempotent_and_scoped_to_the_account(world: World) -> None:
    """A second hang-up of an ended call changes nothing; another account's execution reads as not found."""
    await trunk_with_number(world)
    world.telephony.script("gw1.example.com", Outcome.ANSWER_AND_HOLD)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    await world.settle()
    with pytest.raises(ExecutionNotFound):
        await world.app.control.hang_up(OTHER_ACCOUNT, placed.id)
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status is ExecutionStatus.IN_PROGRESS
    await world.app.control.hang_up(ACCOUNT, placed.id)
    await world.settle()
    ended = await world.app.calls.get(ACCOUNT, placed.id)
    assert ended.status is ExecutionStatus.COMPLETED
    hangups = dict(world.telephony.hangups)
    assert (await world.app.control.hang_up(ACCOUNT, placed.id)).status is ExecutionStatus.COMPLETED
    assert world.telephony.hangups == hangups  # nothing asked of telephony the second time
    assert await world.app.calls.get(ACCOUNT, placed.id) == ended
