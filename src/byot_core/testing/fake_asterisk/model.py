"""What a fake channel is, and what a scripted gateway does with an INVITE, with Asterisk's causes."""

from __future__ import annotations

import enum
from typing import Any

import attrs

__all__ = ["CAUSE_TEXT", "CAUSE_TO_SIP", "REASON_TO_CAUSE", "FakeChannel", "GatewayPlay"]

#: Asterisk's ``cause_txt`` for the causes the fake plays.
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "No answer",
    21: "Call Rejected",
    27: "Destination out of order",
    34: "Circuit/channel congestion",
    41: "Temporary failure",
}
#: What the carrier hears when Asterisk refuses an unanswered inbound channel with a Q.850 cause.
CAUSE_TO_SIP = {
    1: 404, 2: 404, 3: 404, 17: 486, 18: 408, 19: 480, 20: 480, 21: 403, 22: 410, 23: 302, 27: 502, 28: 484,
    29: 501, 31: 480, 34: 503, 38: 500, 42: 503, 58: 488, 66: 503, 127: 500,
}  # fmt: skip
#: What chan_pjsip answers for a cause it has no code for (16 and 41 among them, as a real Asterisk 22 answered).
UNMAPPED_CAUSE_SIP = 603
#: The ``reason`` words of ``DELETE /ari/channels/{id}`` and their causes.
REASON_TO_CAUSE = {"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "rejected": 21, "unallocated": 1}


class GatewayPlay(enum.Enum):
    """What a scripted gateway does with an INVITE: (rings, answers, Q.850 cause, SIP code, Dial status)."""

    ANSWER = (True, True, None, None, "ANSWER")
    ANSWER_THEN_BYE = (True, True, 0, None, "ANSWER")
    BUSY = (False, False, 17, 486, "BUSY")
    CONGESTION = (False, False, 34, 503, "CONGESTION")
    DECLINE = (False, False, 21, 603, "CHANUNAVAIL")
    NO_ANSWER = (True, False, 19, 480, "NOANSWER")
    TIMEOUT = (False, False, 18, 408, "NOANSWER")


@attrs.define
class FakeChannel:
    """A channel, with what the carrier saw: ``sip_answer`` is the final response to an inbound INVITE."""

    id: str
    name: str
    endpoint: str
    state: str
    caller: str
    exten: str
    context: str
    created: str
    app: str | None = None
    in_stasis: bool = False
    subscribers: set[str] = attrs.field(factory=set)
    variables: dict[str, str] = attrs.field(factory=dict)
    sip_answer: int | None = None
    hangup_cause: int | None = None
    #: The ``timeout`` an originate asked for (seconds a ringing callee is given before cause 19).
    ring_timeout: int | None = None
    #: The DTMF played to the far party (``POST /channels/{id}/dtmf``), pauses included.
    keys_heard: str = ""
    #: The Refer-To of each REFER the far party was sent (``POST /channels/{id}/redirect``).
    refers: list[str] = attrs.field(factory=list)
    #: Where an originate into the dialplan (``context``, ``extension``) starts the call once answered.
    entry: tuple[str, str] | None = None
    #: The SIP Call-ID (ARI's ``protocol_id``): empty for channels that are not PJSIP calls.
    call_id: str = ""
    #: The audio codecs the channel can use: those both sides have until it is answered, then the one agreed.
    codecs: tuple[str, ...] = ()
    #: What the far party says once bridged (μ-law, played 20 ms a tick, then silence) and what it has heard.
    voice: bytearray = attrs.field(factory=bytearray, repr=False)
    heard: bytearray = attrs.field(factory=bytearray, repr=False)

    def speak(self) -> bytes | None:
        """The next 20 ms of what the party says, or ``None`` once it is silent (nothing is sent then)."""
        if len(self.voice) < 160:
            self.voice.clear()
            return None
        frame = bytes(self.voice[:160])
        del self.voice[:160]
        return frame

    def json(self) -> dict[str, Any]:
        """The channel as ARI describes it in events and answers."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.call_id,
            "caller": {"name": "", "number": self.caller},
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {
                "context": self.context,
                "exten": self.exten,
                "priority": 1,
                "app_name": "Stasis" if self.in_stasis else "AppDial2",
                "app_data": f"{self.app},{self.exten}" if self.in_stasis else "(Outgoing Line)",
            },
            "creationtime": self.created,
            "language": "en",
        }
