"""What the use cases return, beyond the domain values themselves."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from byot_core.domain.phone_number import PhoneNumber
from byot_core.domain.secret import Secret
from byot_core.domain.telephony import GatewayStatus
from byot_core.domain.trunk import Trunk

__all__ = ["Message", "TrunkDeleted", "TrunkDetails"]


@attrs.frozen
class TrunkDetails:
    """A trunk with its live phone numbers (the guide's full trunk object).

    ``inbound_password`` is the carrier's new password, in the answer of the request that made it only.
    ``sync_error`` is why telephony could not be brought in step with the trunk, when its ``sync_state`` is
    ``failed`` (a node without the trunk's transport, a node that did not answer). ``gateway_status`` is each
    gateway's reachability as telephony's health checks last reported it, by gateway id.
    """

    trunk: Trunk
    phone_numbers: tuple[PhoneNumber, ...] = ()
    inbound_password: Secret | None = attrs.field(default=None, repr=False)
    sync_error: str | None = None
    gateway_status: Mapping[str, GatewayStatus] = attrs.field(factory=dict)


@attrs.frozen
class Message:
    """A confirmation, worded as the guide words it."""

    message: str


@attrs.frozen
class TrunkDeleted:
    """The result of deleting a trunk: the guide's message and how many numbers were removed."""

    numbers_removed: int

    @property
    def message(self) -> str:
        """The guide's confirmation."""
        return f"Trunk deleted successfully. {self.numbers_removed} phone number(s) removed."
