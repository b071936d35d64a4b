"""The ports a use case may call, bundled once by the composition function."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from byot_core.domain.media import MediaPlan
from byot_core.ports import (
    AgentDirectory,
    BalanceCheck,
    CallMedia,
    Clock,
    IdFactory,
    InboundCallHandler,
    Metrics,
    NoMetrics,
    OutboundCallHandler,
    RecordingStore,
    SecretBox,
    Storage,
    Telephony,
)
from byot_core.tasks import Background

__all__ = ["Dependencies"]


@attrs.frozen
class Dependencies:
    """Everything the use cases need from the world.

    ``default_region`` (an ISO 3166 code such as ``"IN"``) lets national number spellings be read. ``draw``, when
    given, returns uniform numbers in (0, 1] to share load among gateways of equal priority by weight; without it the
    order among equals is fixed (heavier weight first). ``outbound_handler``, when given, is handed every outbound
    call the callee answers. With ``media`` and ``media_plan`` both given, every answered call is first connected
    to its agent's media WebSocket (an inbound caller is answered only once it is). ``instance_id`` names this
    instance of the library (a new one each time it is built): the executions it places and takes are followed by
    it, and taken over by another instance if its lease runs out. ``recordings`` keeps calls' recordings (without
    it, no call is recorded). ``metrics`` is told of calls started, ended and refused, and of pushes.
    """

    storage: Storage
    telephony: Telephony
    agents: AgentDirectory
    secrets: SecretBox
    clock: Clock
    ids: IdFactory
    balance: BalanceCheck
    inbound_handler: InboundCallHandler
    default_region: str | None = None
    draw: Callable[[], float] | None = None
    outbound_handler: OutboundCallHandler | None = None
    media: CallMedia | None = None
    media_plan: MediaPlan | None = None
    background: Background = attrs.field(factory=lambda: Background("calls' media connections"), eq=False)
    instance_id: str = "byot"
    recordings: RecordingStore | None = None
    metrics: Metrics = attrs.field(factory=NoMetrics, eq=False)
