"""What a call's state machine asks for after each event, and the transition that carries it.

The use cases store the execution first, then carry the actions out (:mod:`byot_core.domain.call_flow`,
:mod:`byot_core.domain.transfer_flow`).
"""

from __future__ import annotations

import attrs

from byot_core.domain.execution import Execution
from byot_core.domain.trunk import Gateway

__all__ = ["Action", "Dial", "FailoverPlan", "HandOver", "HangUp", "Join", "Refer", "Transition"]


@attrs.frozen
class Dial:
    """Start the attempt just added to the execution: dial ``dialled`` through ``gateway`` on ``channel_id``.

    ``beside`` names a channel the new one must be made next to (a transfer's target is bridged with its caller, so
    it is dialled from the node holding the caller).
    """

    channel_id: str
    gateway: Gateway
    dialled: str
    beside: str | None = None


@attrs.frozen
class HandOver:
    """The callee answered an outbound call: hand the live channel to the agent."""

    channel_id: str


@attrs.frozen
class HangUp:
    """End the call's channel with a Q.850 cause (its agent is gone: nobody would hear the caller)."""

    channel_id: str
    q850_cause: int


@attrs.frozen
class Join:
    """A transfer's target answered: bridge the caller with it and release the agent."""

    caller_channel_id: str
    target_channel_id: str


@attrs.frozen
class Refer:
    """Ask the carrier to transfer the caller's channel to ``refer_to`` (a SIP URI: sent as the REFER's Refer-To)."""

    channel_id: str
    refer_to: str


#: What the caller of a state machine's step must do after storing the execution.
Action = Dial | HandOver | HangUp | Join | Refer


@attrs.frozen
class FailoverPlan:
    """What a failover may use now: the call's gateways still usable, in the call's order, and what to dial.

    Built from the trunk as it is when the attempt ends: a trunk deactivated or changed mid-call leaves fewer (or
    no) gateways to fail over to.
    """

    gateways: tuple[Gateway, ...]
    dialled: str


@attrs.frozen
class Transition:
    """An execution after an event, the actions it calls for, and whether anything changed at all."""

    execution: Execution
    actions: tuple[Action, ...] = ()
    changed: bool = True
