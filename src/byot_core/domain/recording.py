"""Recording a call (beyond the guide): whether a call is recorded, and the record of its recording.

A call is recorded when it was placed with ``record`` or, for an inbound call, when its agent records calls. The
recording starts once the call is answered and connected to its agent, covers what the caller and the agent (then a
transfer's target) said, mixed into one channel, and is kept by the platform once the call ends.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from byot_core.domain.errors import NotFound

__all__ = ["Recording", "RecordingNotFound", "RecordingStatus", "recording_name"]


class RecordingStatus(enum.Enum):
    """Where a call's recording is."""

    #: Being recorded (the call goes on).
    RECORDING = "recording"
    #: Kept by the platform: it can be fetched.
    STORED = "stored"
    #: Not made, or not kept (``detail`` says why).
    FAILED = "failed"


@attrs.frozen
class Recording:
    """A call's recording: its name in the media layer, where it is, its length and size once kept."""

    name: str
    status: RecordingStatus
    started_at: datetime
    seconds: float | None = None
    size_bytes: int | None = None
    detail: str | None = None


def recording_name(execution_id: str) -> str:
    """The name a call's recording has in the media layer (one per call)."""
    return f"byot-rec-{execution_id}"


class RecordingNotFound(NotFound):
    """The call has no recording kept (none was made, or it is not finished yet)."""

    code = "recording_not_found"

    def __init__(self) -> None:
        super().__init__("Recording not found")
