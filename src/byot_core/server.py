"""``byot serve``: the reference API on the core the runtime opens, with its API keys and background loops.

Settings and composition are :mod:`byot_core.runtime`'s; this module adds what only the HTTP server needs:
``BYOT_API_KEYS`` (``key=account,…``; otherwise the keys stored in the database, or one generated and printed on
first start), the routes that play the carrier on the fake telephony, and the loops that run while it serves.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from byot_core.adapters.callback_sender import HttpCallbackSender
from byot_core.adapters.fake_telephony import FakeTelephony
from byot_core.adapters.http.app import create_app
from byot_core.adapters.http.auth import ApiKeys, hash_key, new_api_key, parse_api_keys
from byot_core.adapters.http.body import read_json
from byot_core.adapters.http.errors import ApiError, error_body
from byot_core.adapters.sql.agents import SqlApiKeys
from byot_core.adapters.system import SystemClock
from byot_core.domain.errors import plausible_id
from byot_core.runtime import Core, Settings, open_core
from byot_core.services.app import Byot
from byot_core.services.callbacks import CallbackDelivery
from byot_core.tasks import Background

__all__ = ["Server", "open_server"]

log = logging.getLogger(__name__)

FIRST_ACCOUNT = "user_default"
#: How long a stop waits for the server's loops to end once cancelled (one stuck is logged by name, and left).
STOP_SECONDS = 5.0


def fake_carrier_routes(telephony: FakeTelephony, keys: ApiKeys, byot: Byot) -> list[Route]:
    """Routes that play the carrier's part on the fake telephony, so inbound calls can be seen over HTTP.

    ``POST /fake/inbound-calls`` with ``{"called", "source", "caller"}`` makes a call arrive (answering
    ``{"channel_id"}``); ``POST /fake/inbound-calls/{channel_id}/hangup`` ends it from the caller's side. They exist
    only while the telephony is the fake one and need an API key like every other route. An account rings only its
    own numbers (or numbers nobody holds, to see a refusal) and hangs up only the calls it made arrive: another
    account's number or call is not found, as everywhere else.
    """
    started: dict[str, str] = {}

    def refused(status: int, code: str, detail: str) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(code, detail), status, headers=headers)

    async def arrive(request: Request) -> Response:
        account = keys.account_for(request.headers.get("authorization"))
        if account is None:
            return refused(401, "unauthorized", "Invalid or missing API key")
        try:
            payload = await read_json(request)
        except ApiError as error:
            return refused(error.status, error.code, error.detail)
        if not isinstance(payload, dict):
            return refused(400, "invalid_body", "Request body must be a JSON object")
        called = payload.get("called")
        if not isinstance(called, str) or not called or not plausible_id(called):
            return refused(400, "called_required", "called is required")
        decision = await byot.inbound.explain(called)
        owner = decision.candidate.number.account_id if decision.candidate is not None else None
        if owner is not None and owner != account:
            return refused(404, "phone_number_not_found", "Phone number doesn't exist.")
        source, caller = payload.get("source"), payload.get("caller")
        channel = telephony.incoming_call(
            called,
            source=source if isinstance(source, str) else None,
            caller=caller if isinstance(caller, str) else None,
        )
        started[channel] = account
        return JSONResponse({"channel_id": channel}, 201)

    async def hang_up(request: Request) -> Response:
        account = keys.account_for(request.headers.get("authorization"))
        if account is None:
            return refused(401, "unauthorized", "Invalid or missing API key")
        channel = str(request.path_params["channel_id"])
        if started.get(channel) != account:
            return refused(404, "call_not_found", "Call not found")
        telephony.remote_hang_up(channel)
        started.pop(channel, None)
        return JSONResponse({"message": "hung up"})

    return [
        Route("/fake/inbound-calls", arrive, methods=["POST"]),
        Route("/fake/inbound-calls/{channel_id}/hangup", hang_up, methods=["POST"]),
    ]


async def _api_keys(settings: Settings, stored: SqlApiKeys, clock: SystemClock) -> tuple[ApiKeys, str | None]:
    if settings.api_keys:
        return ApiKeys(parse_api_keys(settings.api_keys)), None
    known = await stored.all()
    if known:
        return ApiKeys(known), None
    key = new_api_key()
    await stored.add(hash_key(key), FIRST_ACCOUNT, clock.now())
    return ApiKeys({hash_key(key): FIRST_ACCOUNT}), (
        f"Made an API key for account {FIRST_ACCOUNT} (shown once, stored hashed): {key}"
    )


@attrs.define
class Server:
    """An opened reference server: the ASGI app, what to print at start, and the core it runs on (to close)."""

    app: Starlette
    core: Core
    announcements: list[str]

    async def close(self) -> None:
        """Release the database and the Asterisk connections."""
        await self.core.close()


async def open_server(settings: Settings) -> Server:
    """Open the database (migrating it), the keys, the telephony and the application."""
    core = await open_core(settings)
    byot, telephony = core.byot, core.telephony
    try:
        keys, key_note = await _api_keys(settings, SqlApiKeys(core.storage.database), SystemClock())
    except BaseException:
        await core.close()
        raise
    app = create_app(byot, keys=keys, agents=core.agents, api_page=True)
    if isinstance(telephony, FakeTelephony):
        app.router.routes.extend(fake_carrier_routes(telephony, keys, byot))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Calls progress through events, telephony is kept in step with storage, and this instance holds its lease
        # (taking over the calls of instances that stopped) as long as the server runs.
        loops = Background("the server's loops")
        loops.spawn(byot.events.run(), "byot-call-events")
        loops.spawn(byot.sync.run(), "byot-telephony-sync")
        loops.spawn(byot.instances.run(), "byot-instance-lease")
        # Status callbacks go out from the outbox: events this or a stopped instance wrote, in order per call.
        sender = HttpCallbackSender()
        delivery = CallbackDelivery(byot.deps, sender)
        loops.spawn(delivery.run(), "byot-status-callbacks")
        try:
            yield
        finally:
            await loops.cancel(within=STOP_SECONDS)
            await delivery.close(within=STOP_SECONDS)
            await sender.close()
            try:
                # A clean stop: another instance takes this one's calls over at its next look, not a lease later.
                await byot.instances.release()
            except Exception:  # the database may be gone already; the lease then simply runs out
                log.warning("lease not released: it runs out on its own", exc_info=True)

    app.router.lifespan_context = lifespan
    notes = [n for n in (core.secret_note, key_note) if n]
    if isinstance(telephony, FakeTelephony):
        notes.append(
            "Telephony: fake (outbound calls are answered and completed; POST /fake/inbound-calls makes a call arrive)."
        )
    else:
        nodes = ", ".join(c.node for c in telephony.clients)
        notes.append(f"Telephony: Asterisk over ARI on {nodes} (application {settings.ari_app}).")
    return Server(app, core, notes)
