"""What dialling an attempt needs, for a call's own attempts and a transfer's legs alike.

The request telephony is given (who is calling, how long it rings, which channel it must be dialled beside), when the
attempt may start, and its start moved to the trunk's next free slot when the trunk paces its calls.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from byot_core.domain import transfer_flow
from byot_core.domain.attempt import Attempt
from byot_core.domain.call_actions import Dial, FailoverPlan
from byot_core.domain.call_flow import usable_gateways
from byot_core.domain.dialplan import dialled_number
from byot_core.domain.execution import Direction, Execution
from byot_core.domain.numbers import canonical_key, e164
from byot_core.domain.telephony import OriginateRequest
from byot_core.domain.trunk import Trunk
from byot_core.ports.storage import UnitOfWork

__all__ = ["dial_start", "failover_plan", "originate_request", "paced_dial"]


def _attempt(execution: Execution, channel_id: str) -> Attempt | None:
    index = execution.attempt_for(channel_id)
    if index is not None:
        return execution.attempts[index]
    leg = transfer_flow.transfer_leg(execution, channel_id)
    return execution.transfers[leg[0]].legs[leg[1]] if leg is not None else None


def dial_start(execution: Execution, dial: Dial) -> datetime:
    """When the attempt is to be dialled (a paced attempt waits for its slot)."""
    attempt = _attempt(execution, dial.channel_id)
    assert attempt is not None, "a Dial always names an attempt of its execution"
    return attempt.started_at


def originate_request(execution: Execution, dial: Dial, trunk: Trunk, default_region: str | None) -> OriginateRequest:
    """What telephony is asked to dial.

    The caller id is the call's own DID (the number dialled from for an outbound call, the one called for an inbound
    call). Every attempt rings for its own ring timeout (the call's, or its transfer's), else the trunk's as it is now.
    """
    did = execution.from_number if execution.direction is Direction.OUTBOUND else execution.to_number
    caller = e164(canonical_key(did, default_region))
    leg = transfer_flow.transfer_leg(execution, dial.channel_id)
    own = execution.transfers[leg[0]].ring_timeout_seconds if leg is not None else execution.ring_timeout_seconds
    ring = own or trunk.policy.ring_timeout_seconds
    return OriginateRequest(dial.channel_id, trunk, dial.gateway, dial.dialled, caller, ring, beside=dial.beside)


async def paced_dial(
    uow: UnitOfWork, execution: Execution, dial: Dial, trunk: Trunk, now: datetime, max_wait: timedelta | None
) -> Execution | None:
    """The execution with the dial's attempt moved to the trunk's next slot (``None``: no slot within the wait)."""
    assert trunk.calls_per_second is not None
    slot = await uow.trunks.reserve_attempt(trunk.id, trunk.calls_per_second, now, max_wait)
    if slot is None:
        return None
    index = execution.attempt_for(dial.channel_id)
    if index is not None:
        attempts = list(execution.attempts)
        attempts[index] = attrs.evolve(attempts[index], started_at=slot)
        return attrs.evolve(execution, attempts=tuple(attempts))
    where = transfer_flow.transfer_leg(execution, dial.channel_id)
    assert where is not None, "a Dial always names an attempt of its execution"
    transfer = execution.transfers[where[0]]
    legs = list(transfer.legs)
    legs[where[1]] = attrs.evolve(legs[where[1]], started_at=slot)
    transfers = list(execution.transfers)
    transfers[where[0]] = attrs.evolve(transfer, legs=tuple(legs))
    return attrs.evolve(execution, transfers=tuple(transfers))


def failover_plan(
    execution: Execution, trunk: Trunk | None, default_region: str | None, channel_id: str | None = None
) -> FailoverPlan:
    """The gateways the call (or the transfer dialling on ``channel_id``) may still use on the trunk as it is now.

    And the number to dial on them.
    """
    if trunk is None or not trunk.routes_calls:
        return FailoverPlan((), "")
    leg = transfer_flow.transfer_leg(execution, channel_id) if channel_id is not None else None
    if leg is not None:
        transfer = execution.transfers[leg[0]]
        return FailoverPlan(usable_gateways(transfer.gateway_plan, trunk.gateways), transfer.dialled)
    # The recipient was validated when the call was placed, so reading it again cannot fail.
    recipient = canonical_key(execution.to_number, default_region)
    dialled = dialled_number(recipient, trunk.policy.outbound_leading_plus_enabled)
    return FailoverPlan(usable_gateways(execution.gateway_plan, trunk.gateways), dialled)
