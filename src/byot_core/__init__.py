"""byot-core: Bring Your Own Trunk for a voice-AI platform.

Register customers' SIP trunks, add their DIDs, map numbers to agents for inbound calls, place outbound calls through
the customer's gateways with failover, and keep the media layer configured to match. Compose the application with
:func:`build`, then call its use cases with typed requests, or through :class:`GuideApi` with the guide's JSON::

    app = byot_core.build()
    details = await app.trunks.create("account-1", TrunkDraft(...))
    details = await byot_core.GuideApi(app).trunks.create("account-1", {...})
"""

from byot_core.composition import build
from byot_core.domain.call_control import CallNotInProgress
from byot_core.domain.destinations import DestinationNotAllowed, DestinationPolicy
from byot_core.domain.errors import (
    AgentNotFound,
    ByotError,
    CallRefused,
    CallsPaced,
    CapacityExceeded,
    ChannelsFull,
    Conflict,
    ErrorKind,
    ExecutionNotFound,
    NotFound,
    NotMappedToAgent,
    PhoneNumberConflict,
    PhoneNumberNotFound,
    PhoneNumberOnTrunk,
    PhoneNumberRemoved,
    Problem,
    TelephonyUnavailable,
    TrunkNameConflict,
    TrunkNotFound,
    TrunkVersionMismatch,
    ValidationFailed,
)
from byot_core.domain.media import MediaPlan, MediaProtocol
from byot_core.guide_api import GuideApi
from byot_core.services import Byot, Dependencies, Message, TrunkDeleted, TrunkDetails

__all__ = [
    "AgentNotFound",
    "Byot",
    "ByotError",
    "CallNotInProgress",
    "CallRefused",
    "CallsPaced",
    "CapacityExceeded",
    "ChannelsFull",
    "Conflict",
    "Dependencies",
    "DestinationNotAllowed",
    "DestinationPolicy",
    "ErrorKind",
    "ExecutionNotFound",
    "GuideApi",
    "MediaPlan",
    "MediaProtocol",
    "Message",
    "NotFound",
    "NotMappedToAgent",
    "PhoneNumberConflict",
    "PhoneNumberNotFound",
    "PhoneNumberOnTrunk",
    "PhoneNumberRemoved",
    "Problem",
    "TelephonyUnavailable",
    "TrunkDeleted",
    "TrunkDetails",
    "TrunkNameConflict",
    "TrunkNotFound",
    "TrunkVersionMismatch",
    "ValidationFailed",
    "build",
]
