"""The reference HTTP API: every endpoint of the guide, on Starlette, built from the library's use cases.

Mount it in any ASGI application (FastAPI included) or serve it alone (``byot serve``). Beyond the guide's endpoints it
has the minimum that completes the guide's flow: agents (``/v2/agent``) and executions (``/executions``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from byot_core.adapters.guide_json import (
    decision_json,
    destinations_json,
    execution_json,
    number_json,
    trunk_json,
    trunk_summary_json,
)
from byot_core.adapters.http.agents import AgentRegistry, agent_json, read_agent_config
from byot_core.adapters.http.auth import ApiKeys
from byot_core.adapters.http.body import MAX_BODY_BYTES, read_json
from byot_core.adapters.http.errors import ApiError, error_body
from byot_core.adapters.http.openapi import openapi_document
from byot_core.adapters.http.query import explain_query
from byot_core.adapters.http.routing import Handler, api_page_routes, operation_routes
from byot_core.adapters.http.versions import if_match, trunk_etag
from byot_core.adapters.metrics import PROMETHEUS_TEXT, PrometheusMetrics
from byot_core.domain.agent import Agent
from byot_core.domain.errors import (
    AgentNotFound,
    ByotError,
    CapacityExceeded,
    ExecutionNotFound,
    NotFound,
    PhoneNumberNotFound,
    TrunkNotFound,
    ValidationFailed,
    plausible_id,
)
from byot_core.guide_api import GuideApi
from byot_core.services.app import Byot
from byot_core.services.views import TrunkDetails
from byot_core.web import error_json, http_status

__all__ = ["AgentRegistry", "create_app"]

log = logging.getLogger(__name__)

_NO_STORE = {"Cache-Control": "no-store"}

# The error each path parameter's object answers when it is not found.
_NOT_FOUND: dict[str, Callable[[], NotFound]] = {
    "trunk_id": TrunkNotFound,
    "phone_number_id": PhoneNumberNotFound,
    "execution_id": ExecutionNotFound,
    "agent_id": AgentNotFound,
}


def create_app(
    byot: Byot,
    *,
    keys: ApiKeys,
    agents: AgentRegistry,
    max_body_bytes: int = MAX_BODY_BYTES,
    api_page: bool = False,
) -> Starlette:
    """The ASGI application for ``byot``, authenticating with ``keys`` and keeping agents in ``agents``.

    Its routes are the table of operations (:data:`~byot_core.adapters.http.operations.OPERATIONS`), plus
    ``/openapi.json``, ``/health`` (liveness) and ``/ready`` (200, or 503 saying what keeps it from taking calls),
    and ``/metrics`` when the application counts with :class:`~byot_core.adapters.metrics.PrometheusMetrics`;
    ``api_page`` adds the interactive API page at ``/docs`` (needs the ``server`` extra).
    """
    guide = GuideApi(byot)  # each body is read once, there, into the use case's typed request

    async def body(request: Request) -> object:
        return await read_json(request, max_body_bytes)

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            account = keys.account_for(request.headers.get("authorization"))
            try:
                if account is None:
                    raise ApiError(401, "unauthorized", "Invalid or missing API key")
                return await handler(request, account)
            except ApiError as error:
                headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
                return JSONResponse(error_body(error.code, error.detail), error.status, headers=headers)
            except CapacityExceeded as error:
                headers = {"Retry-After": str(error.retry_after)}
                return JSONResponse(error_json(error), http_status(error), headers=headers)
            except ByotError as error:
                return JSONResponse(error_json(error), http_status(error))

        return run

    def path(request: Request, name: str) -> str:
        value = str(request.path_params[name])
        if not plausible_id(value):
            # No such object can exist: answered exactly as a missing one, with no query made.
            raise _NOT_FOUND[name]()
        return value

    def trunk_response(details: TrunkDetails, status: int = 200) -> Response:
        return JSONResponse(trunk_json(details), status, headers={"ETag": trunk_etag(details.trunk)})

    async def create_trunk(request: Request, account: str) -> Response:
        return trunk_response(await guide.trunks.create(account, await body(request)), 201)

    async def list_trunks(request: Request, account: str) -> Response:
        raw = request.query_params.get("is_active")
        is_active: bool | None = None
        if raw is not None:
            if raw.lower() not in ("true", "false"):
                raise ValidationFailed.single("is_active", "invalid_field", "is_active must be true or false")
            is_active = raw.lower() == "true"
        return JSONResponse([trunk_summary_json(s) for s in await byot.trunks.list(account, is_active)])

    async def get_trunk(request: Request, account: str) -> Response:
        return trunk_response(await byot.trunks.get(account, path(request, "trunk_id")))

    async def update_trunk(request: Request, account: str) -> Response:
        trunk_id, changes = path(request, "trunk_id"), await body(request)
        return trunk_response(await guide.trunks.update(account, trunk_id, changes, if_revision=if_match(request)))

    async def delete_trunk(request: Request, account: str) -> Response:
        result = await byot.trunks.delete(account, path(request, "trunk_id"), if_revision=if_match(request))
        return JSONResponse({"message": result.message})

    async def add_number(request: Request, account: str) -> Response:
        number = await guide.numbers.add(account, path(request, "trunk_id"), await body(request))
        return JSONResponse(number_json(number), 201)

    async def list_numbers(request: Request, account: str) -> Response:
        numbers = await byot.numbers.list(account, path(request, "trunk_id"))
        return JSONResponse([number_json(n) for n in numbers])

    async def remove_number(request: Request, account: str) -> Response:
        result = await byot.numbers.remove(account, path(request, "trunk_id"), path(request, "phone_number_id"))
        return JSONResponse({"message": result.message})

    async def inbound_setup(request: Request, account: str) -> Response:
        return JSONResponse({"message": (await guide.inbound.setup(account, await body(request))).message})

    async def inbound_unlink(request: Request, account: str) -> Response:
        return JSONResponse({"message": (await guide.inbound.unlink(account, await body(request))).message})

    async def explain_inbound(request: Request, account: str) -> Response:
        called, source = explain_query(request.query_params)
        return JSONResponse(decision_json(await byot.inbound.explain_for(account, called, source)))

    async def place_call(request: Request, account: str) -> Response:
        execution = await guide.calls.place(account, await body(request))
        return JSONResponse({"message": "done", "status": execution.status.value, "execution_id": execution.id})

    async def hang_up(request: Request, account: str) -> Response:
        execution = await byot.control.hang_up(account, path(request, "execution_id"))
        said = "The call has already ended" if execution.status.is_terminal else "Hangup requested"
        return JSONResponse({"message": said}, 202)

    async def send_dtmf(request: Request, account: str) -> Response:
        await guide.control.send_dtmf(account, path(request, "execution_id"), await body(request))
        return JSONResponse({"message": "DTMF sent"}, 202)

    async def transfer_call(request: Request, account: str) -> Response:
        execution = await guide.control.transfer(account, path(request, "execution_id"), await body(request))
        return JSONResponse(execution_json(execution), 202)

    async def get_recording(request: Request, account: str) -> Response:
        data = await byot.recordings.get(account, path(request, "execution_id"))
        return Response(data, media_type="audio/wav")

    async def get_execution(request: Request, account: str) -> Response:
        return JSONResponse(execution_json(await byot.calls.get(account, path(request, "execution_id"))))

    async def agent_executions(request: Request, account: str) -> Response:
        executions = await byot.calls.list_for_agent(account, path(request, "agent_id"))
        return JSONResponse([execution_json(e) for e in executions])

    async def get_destinations(request: Request, account: str) -> Response:
        return JSONResponse(destinations_json(await byot.destinations.get(account)))

    async def set_destinations(request: Request, account: str) -> Response:
        return JSONResponse(destinations_json(await guide.destinations.set(account, await body(request))))

    async def get_callback_secret(request: Request, account: str) -> Response:
        return JSONResponse({"secret": (await byot.callbacks.get(account)).reveal()}, headers=_NO_STORE)

    async def rotate_callback_secret(request: Request, account: str) -> Response:
        return JSONResponse({"secret": (await byot.callbacks.rotate(account)).reveal()}, headers=_NO_STORE)

    async def create_agent(request: Request, account: str) -> Response:
        values = read_agent_config(await body(request), creating=True)
        agent = Agent(id=str(uuid.uuid4()), account_id=account, **values)
        await agents.create(agent)
        return JSONResponse({"agent_id": agent.id, "status": "created"}, 201)

    async def get_agent(request: Request, account: str) -> Response:
        agent = await agents.get(account, path(request, "agent_id"))
        if agent is None:
            raise AgentNotFound()
        return JSONResponse(agent_json(agent))

    async def update_agent(request: Request, account: str) -> Response:
        values = read_agent_config(await body(request), creating=False)
        agent = await agents.get(account, path(request, "agent_id"))
        if agent is None:
            raise AgentNotFound()
        if values.get("name") is None:
            values.pop("name", None)
        agent = attrs.evolve(agent, **values)
        await agents.update(agent)
        return JSONResponse(agent_json(agent))

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def health(request: Request) -> Response:
        # Liveness: the process answers HTTP. Nothing else is asked, so a slow database never restarts it.
        return JSONResponse({"status": "ok"}, headers=_NO_STORE)

    async def metrics(request: Request) -> Response:
        assert isinstance(byot.deps.metrics, PrometheusMetrics)  # the route exists only then
        return Response(byot.deps.metrics.exposition(), media_type=PROMETHEUS_TEXT, headers=_NO_STORE)

    async def ready(request: Request) -> Response:
        readiness = await byot.health.ready()
        body = {"status": "ready" if readiness.ready else "not ready", "problems": list(readiness.problems)}
        return JSONResponse(body, 200 if readiness.ready else 503, headers=_NO_STORE)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        headers = exc.headers if isinstance(exc, HTTPException) else None  # 405 carries the Allow header
        if status == 405:
            return JSONResponse(error_body("method_not_allowed", "Method not allowed"), 405, headers=headers)
        return JSONResponse(error_body("not_found", "Not Found"), status, headers=headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(error_body("internal_error", "Internal server error"), 500)

    handlers: dict[str, Handler] = {
        "create_trunk": create_trunk,
        "list_trunks": list_trunks,
        "get_trunk": get_trunk,
        "update_trunk": update_trunk,
        "delete_trunk": delete_trunk,
        "add_number": add_number,
        "list_numbers": list_numbers,
        "remove_number": remove_number,
        "inbound_setup": inbound_setup,
        "inbound_unlink": inbound_unlink,
        "explain_inbound": explain_inbound,
        "place_call": place_call,
        "get_execution": get_execution,
        "hang_up": hang_up,
        "send_dtmf": send_dtmf,
        "transfer_call": transfer_call,
        "get_recording": get_recording,
        "get_destinations": get_destinations,
        "set_destinations": set_destinations,
        "get_callback_secret": get_callback_secret,
        "rotate_callback_secret": rotate_callback_secret,
        "create_agent": create_agent,
        "get_agent": get_agent,
        "update_agent": update_agent,
        "agent_executions": agent_executions,
    }
    routes: list[BaseRoute] = [
        Route("/openapi.json", openapi, methods=["GET"]),
        # For load balancers and orchestrators: no API key, nothing about any account.
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
    ]
    if isinstance(byot.deps.metrics, PrometheusMetrics):
        routes.append(Route("/metrics", metrics, methods=["GET"]))
    if api_page:
        routes += api_page_routes()
    routes += operation_routes(handlers, endpoint)
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, 500: server_error})
