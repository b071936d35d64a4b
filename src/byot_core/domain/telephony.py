"""What the library asks of telephony, in domain terms."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from byot_core.domain.secret import Secret
from byot_core.domain.trunk import Gateway, Trunk

__all__ = [
    "AnsweredOutboundCall",
    "ChannelNow",
    "GatewayStatus",
    "InboundOffer",
    "OriginateRequest",
    "Reachability",
    "TrunkConfig",
]


class ChannelNow(enum.Enum):
    """What a call's channel is doing when an instance takes the call over (telephony says, on being asked)."""

    #: The channel no longer exists: the call ended (or its attempt was never dialled).
    GONE = "gone"
    #: Dialled, not yet ringing; or an inbound call not yet answered.
    STARTING = "starting"
    RINGING = "ringing"
    ANSWERED = "answered"


class Reachability(enum.Enum):
    """A gateway's reachability as telephony's last health check (SIP OPTIONS, Asterisk's qualify) reported it."""

    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"
    #: Not reported yet (or not checked: ``qualify_frequency`` 0).
    UNKNOWN = "unknown"


@attrs.frozen
class GatewayStatus:
    """A gateway's last health report: reachability, the check's round-trip time, and since when it holds."""

    reachability: Reachability = Reachability.UNKNOWN
    roundtrip_ms: float | None = None
    since: datetime | None = None


#: What is said of a gateway no report has been received for.
NOT_REPORTED = GatewayStatus()


@attrs.frozen
class TrunkConfig:
    """A trunk to configure in telephony, with its passwords opened (the only place they are plain).

    ``inbound_password`` is the password the carrier's calls authenticate with, when the trunk asks for one.
    """

    trunk: Trunk
    password: Secret | None = None
    inbound_password: Secret | None = None


@attrs.frozen
class OriginateRequest:
    """Place one attempt through one gateway of a trunk.

    ``channel_id`` is chosen by the library, so events can be matched; ``trunk`` is the trunk as stored when the
    attempt starts (telephony names the gateway's configuration from it). ``beside`` names a live channel the new
    one must be able to join (a transfer's target and its caller): telephony dials from the node holding it.
    """

    channel_id: str
    trunk: Trunk
    gateway: Gateway
    dialled: str
    caller_id: str
    timeout_seconds: int = 60
    beside: str | None = None

    @property
    def trunk_id(self) -> str:
        """The trunk's id."""
        return self.trunk.id


@attrs.frozen
class InboundOffer:
    """An inbound call handed to an agent: the answered channel and the execution that records it."""

    channel_id: str
    execution_id: str
    account_id: str
    agent_id: str
    phone_number_id: str
    called: str
    caller: str | None = None


@attrs.frozen
class AnsweredOutboundCall:
    """An outbound call the callee answered, handed to its agent: the live channel and the execution recording it."""

    channel_id: str
    execution_id: str
    account_id: str
    agent_id: str
    from_number: str
    to_number: str
    trunk_id: str | None = None
    gateway_id: str | None = None
