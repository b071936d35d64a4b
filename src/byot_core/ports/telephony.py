"""The telephony port: keep a trunk's configuration in the media layer, place and end calls, report call events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

from byot_core.domain.causes import Q850
from byot_core.domain.events import CallEvent
from byot_core.domain.telephony import ChannelNow, GatewayStatus, OriginateRequest, TrunkConfig
from byot_core.domain.trunk import Trunk

__all__ = ["Telephony"]


class Telephony(Protocol):
    """A media layer (Asterisk, or a fake). Every method raises ``TelephonyUnavailable`` when it cannot be done.

    Configuration calls are idempotent: applying the same trunk twice leaves one configuration, removing an absent
    trunk does nothing. With several media nodes, a configuration call reaches every node it can before raising
    for those it could not.
    """

    async def apply_trunk(self, config: TrunkConfig, *, thorough: bool = True) -> int:
        """Make the trunk's configuration (endpoints, AORs, auth, identify) match ``config``.

        Compares first and writes only what differs; returns how many objects were written or removed. With
        ``thorough=False`` (the trunk is known to have been applied in this shape) leftovers of an earlier shape are
        looked for only if something else differed.
        """

    async def remove_trunk(self, trunk_id: str) -> int:
        """Remove everything configured for the trunk; returns how many objects were removed."""

    async def configured_trunks(self) -> frozenset[str]:
        """The ids of the trunks that have configuration on some reachable node (only what the library owns)."""

    def unreachable_gateways(self, trunk: Trunk) -> frozenset[str]:
        """The ids of the trunk's gateways that health checks (SIP OPTIONS) report down; empty when none or unknown."""

    def gateway_status(self, trunk: Trunk) -> Mapping[str, GatewayStatus]:
        """Each of the trunk's gateways as telephony's last health check reported it, by gateway id.

        A gateway no report was received for is ``unknown``. Answered from what telephony already reported: never
        waits on the network.
        """

    async def originate(self, request: OriginateRequest) -> None:
        """Start one attempt; its progress arrives later as events on ``request.channel_id``."""

    async def answer(self, channel_id: str) -> None:
        """Answer an inbound channel."""

    async def hang_up(self, channel_id: str, q850_cause: int = Q850.NORMAL_CLEARING) -> None:
        """End a channel (or refuse an inbound one) with a Q.850 cause."""

    async def send_dtmf(self, channel_id: str, digits: str) -> None:
        """Play DTMF to the far end of an answered channel (``w``: a half-second pause); checked digits only."""

    async def join(self, caller_channel_id: str, target_channel_id: str) -> None:
        """Put a transfer through: bridge the answered target with the caller and release the caller's agent.

        The agent's media ends as at a hang-up (its summary's ending is ``transferred``), and no agent event is
        reported for it. Once either channel ends, telephony removes what joined them.
        """

    async def refer(self, channel_id: str, refer_to: str) -> None:
        """Ask the far end of an answered channel (the carrier) to call ``refer_to`` in its place (a SIP REFER).

        Returns once the request is sent; the carrier then ends the channel once the new call is its own (reported
        as the channel's end). Raises ``TelephonyUnavailable`` when the REFER cannot be sent.
        """

    async def start_recording(self, channel_id: str, name: str) -> None:
        """Record the answered call on the channel, from now until it ends, as ``name``.

        What the caller and the party it is bridged with (its agent, then a transfer's target) say is recorded, mixed.
        When the call ends, ``RecordingEnded`` reports the recording (its length) on the channel; it is then fetched
        with :meth:`recording_file`. Raises ``TelephonyUnavailable`` when it cannot be started.
        """

    async def recording_file(self, name: str) -> bytes:
        """A finished recording's file (WAV). Raises ``TelephonyUnavailable`` when it cannot be had."""

    async def delete_recording(self, name: str) -> None:
        """Delete a finished recording from telephony (once the platform keeps it); an absent one is no error."""

    async def follow(self, channel_id: str) -> ChannelNow:
        """Take over a channel another instance followed: its events reach this one's stream from now on.

        Says what the channel does now, ``GONE`` when it no longer exists. Raises ``TelephonyUnavailable`` when that
        cannot be told (a node that might hold it does not answer).
        """

    async def sweep_orphans(self) -> int:
        """End the calls a stopped process left without media (and what it held for them); how many were ended."""

    async def waiting_inbound(self, older_than: float) -> Sequence[str]:
        """Inbound calls still waiting to be answered after ``older_than`` seconds: their channel ids.

        A call the library takes is answered or refused within seconds; one still waiting was delivered to an
        instance that was gone (its application not yet dropped by the node) and will never be.
        """

    def readiness(self) -> Sequence[str]:
        """What keeps telephony from taking calls now, one sentence each; empty when it can.

        For Asterisk: each node whose ARI event stream (the application's websocket, through which its calls
        arrive) is not connected.
        """

    def events(self) -> AsyncIterator[CallEvent]:
        """The stream of call events, in the order telephony reported them."""
