"""Starlette routes built from the table of operations, and the interactive API page.

One route per path, so that a 405's ``Allow`` header names every method the path has. The guide's ``PATCH
/{agent_id}`` is a route that exists for PATCH alone: any other method on an unknown one-segment path is a 404, as
for any unknown path, not a 405.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from byot_core.adapters.http.operations import OPERATIONS

__all__ = ["Handler", "api_page_routes", "operation_routes"]

#: A handler of one operation: the request and the calling account, to the answer.
Handler = Callable[[Request, str], Awaitable[Response]]
#: What turns a handler into an ASGI endpoint (authentication, error answers).
Endpoint = Callable[[Handler], Callable[[Request], Awaitable[Response]]]


class _OneMethodRoute(Route):
    """A route that, for any method but its own, does not match at all (so no 405, just an unknown path)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        return (Match.NONE, {}) if match is Match.PARTIAL else (match, child)


def _dispatch(
    wrapped: Mapping[str, Callable[[Request], Awaitable[Response]]],
) -> Callable[[Request], Awaitable[Response]]:
    async def dispatch(request: Request) -> Response:
        # Starlette adds HEAD to every GET route; it is answered as GET (the server sends no body).
        method = "GET" if request.method == "HEAD" else request.method
        return await wrapped[method](request)

    return dispatch


def operation_routes(handlers: Mapping[str, Handler], endpoint: Endpoint) -> list[BaseRoute]:
    """The routes of every operation, each handler wrapped by ``endpoint``; the handlers must match the table."""
    named = {op.handler for op in OPERATIONS}
    if named != set(handlers):
        raise ValueError(f"handlers and operations differ: {sorted(named ^ set(handlers))}")
    grouped: dict[tuple[str, bool], dict[str, Handler]] = {}
    for op in OPERATIONS:
        grouped.setdefault((op.path, op.only_this_method), {})[op.method] = handlers[op.handler]
    routes: list[BaseRoute] = []
    for (path, only_this_method), methods in grouped.items():
        wrapped = {method: endpoint(handler) for method, handler in methods.items()}
        kind = _OneMethodRoute if only_this_method else Route
        routes.append(kind(path, _dispatch(wrapped), methods=list(methods)))
    return routes


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>byot-core reference API</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", persistAuthorization: false});
  </script>
</body>
</html>
"""


def api_page_routes() -> list[BaseRoute]:
    """``/docs``: Swagger UI on the document at ``/openapi.json``, its assets served from an installed package.

    Nothing is fetched from a CDN. URLs are relative, so the page works where the application is mounted.
    """
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError as error:  # the server extra brings it
        raise RuntimeError("the API page needs the 'server' extra: pip install 'byot-core[server]'") from error

    async def page(_: Request) -> Response:
        return HTMLResponse(_PAGE)

    return [
        Route("/docs", page, methods=["GET"]),
        Mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="api-page-assets"),
    ]
