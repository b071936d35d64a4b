"""The use cases that take a request, fed the guide's JSON: each body read once, here, into the typed request.

The use cases of :class:`~byot_core.services.app.Byot` take typed requests only
(:class:`~byot_core.domain.trunk_draft.TrunkDraft`, :class:`~byot_core.domain.trunk_draft.TrunkChanges`,
:class:`~byot_core.domain.number_draft.NumberDraft`, :class:`~byot_core.domain.call_request.MappingRequest`,
:class:`~byot_core.domain.call_request.CallRequest`). Whoever holds the guide's JSON instead (the reference HTTP API,
a service of one's own, a test) goes through :class:`GuideApi`, shaped like the application::

    guide = GuideApi(app)
    details = await guide.trunks.create("account-1", {"name": "Zadarma", ...})
    await guide.inbound.setup("account-1", {"agent_id": ..., "phone_number_id": ...})

Each body is read by :mod:`byot_core.guide` (the guide's messages, every problem with its path) with the
application's default region, then handed to the use case of the same name.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs

from byot_core.domain.execution import Execution
from byot_core.domain.phone_number import PhoneNumber
from byot_core.guide import (
    read_call,
    read_dtmf,
    read_mapping,
    read_number,
    read_transfer,
    read_trunk_create,
    read_trunk_update,
)
from byot_core.guide.destinations import read_account_destinations
from byot_core.services.app import Byot
from byot_core.services.destinations import AccountDestinations
from byot_core.services.views import Message, TrunkDetails

__all__ = ["GuideApi"]


@attrs.frozen
class _Trunks:
    app: Byot

    async def create(self, account_id: str, body: object) -> TrunkDetails:
        """:meth:`TrunkService.create <byot_core.services.trunks.TrunkService.create>` with the guide's create body."""
        return await self.app.trunks.create(account_id, read_trunk_create(body, self.app.deps.default_region))

    async def update(
        self, account_id: str, trunk_id: str, body: object, *, if_revision: int | Collection[int] | None = None
    ) -> TrunkDetails:
        """:meth:`TrunkService.update <byot_core.services.trunks.TrunkService.update>` with the guide's update body."""
        return await self.app.trunks.update(account_id, trunk_id, read_trunk_update(body), if_revision=if_revision)


@attrs.frozen
class _Numbers:
    app: Byot

    async def add(self, account_id: str, trunk_id: str, body: object) -> PhoneNumber:
        """:meth:`NumberService.add <byot_core.services.numbers.NumberService.add>` with the guide's body."""
        return await self.app.numbers.add(account_id, trunk_id, read_number(body, self.app.deps.default_region))


@attrs.frozen
class _Inbound:
    app: Byot

    async def setup(self, account_id: str, body: object) -> Message:
        """:meth:`InboundService.setup <byot_core.services.inbound.InboundService.setup>` with the guide's body."""
        return await self.app.inbound.setup(account_id, read_mapping(body))

    async def unlink(self, account_id: str, body: object) -> Message:
        """:meth:`InboundService.unlink <byot_core.services.inbound.InboundService.unlink>` with the guide's body."""
        return await self.app.inbound.unlink(account_id, read_mapping(body))


@attrs.frozen
class _Calls:
    app: Byot

    async def place(self, account_id: str, body: object) -> Execution:
        """:meth:`CallService.place <byot_core.services.calls.CallService.place>` with the guide's ``/call`` body."""
        return await self.app.calls.place(account_id, read_call(body, self.app.deps.default_region))


@attrs.frozen
class _Control:
    app: Byot

    async def send_dtmf(self, account_id: str, execution_id: str, body: object) -> Execution:
        """:meth:`CallControl.send_dtmf <byot_core.services.control.CallControl.send_dtmf>` with ``{"digits": …}``."""
        return await self.app.control.send_dtmf(account_id, execution_id, read_dtmf(body))

    async def transfer(self, account_id: str, execution_id: str, body: object) -> Execution:
        """:meth:`CallControl.transfer <byot_core.services.control.CallControl.transfer>` with ``{"to": …}``."""
        request = read_transfer(body, self.app.deps.default_region)
        return await self.app.control.transfer(account_id, execution_id, request)


@attrs.frozen
class _Destinations:
    app: Byot

    async def set(self, account_id: str, body: object) -> AccountDestinations:
        """:meth:`DestinationService.set <byot_core.services.destinations.DestinationService.set>` with its body."""
        return await self.app.destinations.set(account_id, read_account_destinations(body))


@attrs.frozen
class GuideApi:
    """The application's use cases that take a request, with the guide's JSON bodies in place of typed requests.

    Raises what the use cases raise, and ``ValidationFailed`` (every problem, the guide's message first) for a body
    that cannot be read.
    """

    app: Byot

    @property
    def trunks(self) -> _Trunks:
        """``create`` and ``update`` with the guide's bodies."""
        return _Trunks(self.app)

    @property
    def numbers(self) -> _Numbers:
        """``add`` with the guide's body."""
        return _Numbers(self.app)

    @property
    def inbound(self) -> _Inbound:
        """``setup`` and ``unlink`` with the guide's body."""
        return _Inbound(self.app)

    @property
    def calls(self) -> _Calls:
        """``place`` with the guide's ``/call`` body."""
        return _Calls(self.app)

    @property
    def control(self) -> _Control:
        """``send_dtmf`` and ``transfer`` with their bodies (beyond the guide)."""
        return _Control(self.app)

    @property
    def destinations(self) -> _Destinations:
        """``set`` with the account's outbound destinations body (beyond the guide)."""
        return _Destinations(self.app)
