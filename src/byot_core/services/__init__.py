"""Application services: one async use case per operation of the guide, each one transaction."""

from byot_core.services.app import Byot
from byot_core.services.calls import CallService
from byot_core.services.deps import Dependencies
from byot_core.services.events import CallEventDispatcher
from byot_core.services.inbound import InboundService
from byot_core.services.numbers import NumberService
from byot_core.services.trunks import TrunkService
from byot_core.services.views import Message, TrunkDeleted, TrunkDetails

__all__ = [
    "Byot",
    "CallEventDispatcher",
    "CallService",
    "Dependencies",
    "InboundService",
    "Message",
    "NumberService",
    "TrunkDeleted",
    "TrunkDetails",
    "TrunkService",
]
