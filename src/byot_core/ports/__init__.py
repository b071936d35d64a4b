"""Ports: the interfaces the use cases need from the world, in domain types only."""

from byot_core.ports.agents import AgentDirectory
from byot_core.ports.balance import BalanceCheck
from byot_core.ports.clock import Clock
from byot_core.ports.ids import IdFactory
from byot_core.ports.inbound_handler import InboundCallHandler
from byot_core.ports.media import CallMedia
from byot_core.ports.metrics import Metrics, NoMetrics
from byot_core.ports.outbound_handler import OutboundCallHandler
from byot_core.ports.recordings import RecordingStore
from byot_core.ports.secrets import SecretBox
from byot_core.ports.storage import (
    ExecutionRepository,
    PhoneNumberRepository,
    Storage,
    TrunkRepository,
    TrunkSummary,
    UnitOfWork,
)
from byot_core.ports.telephony import Telephony

__all__ = [
    "AgentDirectory",
    "BalanceCheck",
    "CallMedia",
    "Clock",
    "ExecutionRepository",
    "IdFactory",
    "InboundCallHandler",
    "Metrics",
    "NoMetrics",
    "OutboundCallHandler",
    "PhoneNumberRepository",
    "RecordingStore",
    "SecretBox",
    "Storage",
    "Telephony",
    "TrunkRepository",
    "TrunkSummary",
    "UnitOfWork",
]
