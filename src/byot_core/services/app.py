"""The application: every use case of the guide, built on one set of ports."""

from __future__ import annotations

import attrs

from byot_core.services.callbacks import CallbackSecrets
from byot_core.services.calls import CallService
from byot_core.services.control import CallControl
from byot_core.services.deps import Dependencies
from byot_core.services.destinations import DestinationService
from byot_core.services.events import CallEventDispatcher
from byot_core.services.health import HealthService
from byot_core.services.inbound import InboundService
from byot_core.services.instances import InstanceLeases
from byot_core.services.numbers import NumberService
from byot_core.services.recordings import CallRecordings
from byot_core.services.sync import TelephonySync
from byot_core.services.trunks import TrunkService

__all__ = ["Byot"]


@attrs.frozen(init=False)
class Byot:
    """The library's entry point once composed: its use cases, grouped by what they work on.

    ``trunks``, ``numbers``, ``inbound``, ``calls``, ``control`` (acting on a call in progress: hang up, send DTMF,
    transfer), ``recordings`` (calls' recordings), ``destinations`` (the account's outbound destination policy, a
    toll-fraud guard), ``callbacks`` (the account's status callback secret), ``events``, ``sync``, ``instances``
    (the instance's lease, and the takeover of stopped instances' calls), and ``health`` (whether the instance can
    take calls now).

    Every use case takes the calling ``account_id`` first; objects of other accounts read as not found.
    ``stand_ins`` names the ports that :func:`byot_core.build` filled with in-memory or fake adapters.
    """

    deps: Dependencies
    trunks: TrunkService
    numbers: NumberService
    inbound: InboundService
    calls: CallService
    control: CallControl
    recordings: CallRecordings
    destinations: DestinationService
    callbacks: CallbackSecrets
    events: CallEventDispatcher
    sync: TelephonySync
    instances: InstanceLeases
    health: HealthService
    stand_ins: tuple[str, ...]

    def __init__(self, deps: Dependencies, stand_ins: tuple[str, ...] = ()) -> None:
        calls = CallService(deps)
        inbound = InboundService(deps, calls)
        sync = TelephonySync(deps)
        trunks = TrunkService(deps, sync)
        recordings = CallRecordings(deps, calls)
        self.__attrs_init__(
            deps=deps,
            trunks=trunks,
            numbers=NumberService(deps),
            inbound=inbound,
            calls=calls,
            control=CallControl(deps, calls),
            recordings=recordings,
            destinations=DestinationService(deps),
            callbacks=CallbackSecrets(deps),
            events=CallEventDispatcher(deps, calls, inbound, sync, recordings),
            sync=sync,
            instances=InstanceLeases(deps, calls),
            health=HealthService(deps),
            stand_ins=stand_ins,
        )
