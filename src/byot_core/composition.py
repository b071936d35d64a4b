"""The one place where adapters are chosen and wired to the use cases."""

from __future__ import annotations

import logging
from collections.abc import Callable

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
from byot_core.services.app import Byot
from byot_core.services.deps import Dependencies

__all__ = ["build"]

log = logging.getLogger(__name__)


def build(
    *,
    storage: Storage | None = None,
    telephony: Telephony | None = None,
    agents: AgentDirectory | None = None,
    secrets: SecretBox | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    balance: BalanceCheck | None = None,
    inbound_handler: InboundCallHandler | None = None,
    outbound_handler: OutboundCallHandler | None = None,
    default_region: str | None = None,
    draw: Callable[[], float] | None = None,
    media_plan: MediaPlan | None = None,
    media: CallMedia | None = None,
    recordings: RecordingStore | None = None,
    metrics: Metrics | None = None,
) -> Byot:
    """Compose the application from the adapters given; anything not given is an in-memory or fake stand-in.

    The stand-ins are for tests, demos and trying things: memory storage (lost at exit), a fake telephony (calls
    "complete" without any network), memory secrets (not encrypted), an agent directory that knows no agent until
    told, a balance that always allows calls, and an inbound handler that only records. ``build`` logs a warning
    naming each one it used, and the application lists them in :attr:`Byot.stand_ins`, so a forgotten
    ``telephony=`` is seen at start rather than in production. A system clock and ULID ids are real, not stand-ins.

    ``outbound_handler`` is optional: without one, answered outbound calls are only recorded.

    ``media_plan`` connects every answered call to its agent's media WebSocket, through ``media`` (by default the
    telephony itself, which must then be able to: Asterisk and the fake telephony are). Without it, calls are
    answered and handed to the handlers only.

    ``recordings`` keeps calls' recordings (the stand-in keeps them in memory).

    ``metrics`` is told what happens (``byot_core.adapters.metrics.PrometheusMetrics``, or your own); without it
    nothing is counted.

    Each call makes fresh adapters, so two applications never share state by accident.
    """
    from byot_core.adapters.fake_telephony import FakeTelephony
    from byot_core.adapters.memory import (
        FixedBalance,
        MemoryAgentDirectory,
        MemorySecretBox,
        MemoryStorage,
        RecordingInboundHandler,
    )
    from byot_core.adapters.recording_stores import MemoryRecordingStore
    from byot_core.adapters.system import SystemClock, UlidFactory

    stand_ins = [
        name
        for name, given in (
            ("storage", storage),
            ("telephony", telephony),
            ("agents", agents),
            ("secrets", secrets),
            ("balance", balance),
            ("inbound_handler", inbound_handler),
            ("recordings", recordings),
        )
        if given is None
    ]
    if stand_ins:
        log.warning(
            "byot_core.build: in-memory or fake stand-ins for %s (pass real adapters for production)",
            ", ".join(stand_ins),
        )
    chosen_telephony = telephony if telephony is not None else FakeTelephony()
    if media_plan is not None and media is None:
        if not isinstance(chosen_telephony, CallMedia):
            raise TypeError("media_plan needs a telephony that can connect media (or pass media=)")
        media = chosen_telephony
    return Byot(
        Dependencies(
            storage=storage if storage is not None else MemoryStorage(),
            telephony=chosen_telephony,
            agents=agents if agents is not None else MemoryAgentDirectory(),
            secrets=secrets if secrets is not None else MemorySecretBox(),
            clock=clock if clock is not None else SystemClock(),
            ids=ids if ids is not None else UlidFactory(),
            balance=balance if balance is not None else FixedBalance(),
            inbound_handler=inbound_handler if inbound_handler is not None else RecordingInboundHandler(),
            default_region=default_region,
            draw=draw,
            outbound_handler=outbound_handler,
            media=media,
            media_plan=media_plan,
            recordings=recordings if recordings is not None else MemoryRecordingStore(),
            # Its own id whatever ids the caller chose: an instance is not one of the objects it stores.
            instance_id=UlidFactory().new_id(),
            metrics=metrics if metrics is not None else NoMetrics(),
        ),
        stand_ins=tuple(stand_ins),
    )
