"""The served routes and the OpenAPI document come from one table and agree exactly; unknown paths are 404."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest
from starlette.routing import Route

from byot_core.adapters.http import ApiKeys, create_app
from byot_core.adapters.http.openapi import openapi_document
from byot_core.domain.trunk import (
    GATEWAY_BOUNDS,
    MAX_GATEWAYS,
    MAX_IP_IDENTIFIERS,
    MAX_NUMBERS_AT_CREATION,
    SETTING_BOUNDS,
)
from tests.http.conftest import Api
from tests.support import World


def served(app_routes: Sequence[object]) -> set[tuple[str, str]]:
    """(method, path) of every operation route the application serves (HEAD, added by Starlette, left out)."""
    pairs = set()
    for route in app_routes:
        if isinstance(route, Route) and route.path not in ("/openapi.json", "/docs", "/health", "/ready"):
            pairs |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return pairs


async def test_the_served_routes_are_exactly_the_documented_operations(world: World) -> None:
    """Every route is in the document with its method, and every documented operation is served."""
    app = create_app(world.app, keys=ApiKeys({}), agents=world.agents)
    documented = {(m.upper(), p) for p, ops in openapi_document()["paths"].items() for m in ops}
    assert served(app.routes) == documented
    assert len(documented) == 26


def test_the_document_states_the_bounds_that_validation_enforces() -> None:
    """Gateway numbers, qualify_frequency and the gateway count carry the validation's own limits."""
    schemas = openapi_document()["components"]["schemas"]
    gateway = schemas["GatewayInput"]["properties"]
    for name, (low, high) in GATEWAY_BOUNDS.items():
        assert (gateway[name]["minimum"], gateway[name]["maximum"]) == (low, high)
    qualify = schemas["TrunkCreate"]["properties"]["qualify_frequency"]
    assert (qualify["minimum"], qualify["maximum"]) == SETTING_BOUNDS["qualify_frequency"]
    assert schemas["TrunkUpdate"]["properties"]["gateways"]["maxItems"] == MAX_GATEWAYS
    assert schemas["TrunkCreate"]["properties"]["ip_identifiers"]["maxItems"] == MAX_IP_IDENTIFIERS
    assert schemas["TrunkCreate"]["properties"]["phone_numbers"]["maxItems"] == MAX_NUMBERS_AT_CREATION
    settings = {"allow", "disallow", "transport", "direct_media", "rtp_symmetric", "force_rport", "ice_support",
                "qualify_frequency", "inbound_enabled", "outbound_leading_plus_enabled"}  # fmt: skip
    assert settings <= set(schemas["Trunk"]["properties"])


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PUT"])
async def test_an_unknown_one_segment_path_is_404_not_405(api: Api, method: str) -> None:
    """The guide's PATCH /{agent_id} exists for PATCH only: GET /anything is an unknown path, with the error body."""
    response = await api.call(method, "/anything")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "code": "not_found"}


async def test_a_known_path_with_another_method_is_still_405(api: Api) -> None:
    """GET /call exists only as POST: 405 naming the method it has."""
    response = await api.call("GET", "/call")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"


async def test_the_guides_agent_path_still_updates_an_agent(api: Api) -> None:
    """PATCH /{agent_id} with the guide's body reaches the agent update."""
    created = await api.call("POST", "/v2/agent", {"agent_config": {"agent_name": "support"}})
    agent_id = created.json()["agent_id"]
    patched = await api.call("PATCH", f"/{agent_id}", {"agent_config": {"telephony_provider": "sip-trunk"}})
    assert patched.status_code == 200
    assert patched.json()["agent_config"]["telephony_provider"] == "sip-trunk"


async def test_head_is_answered_like_get(api: Api) -> None:
    """Starlette routes HEAD with GET: it must answer as GET does, never a 500."""
    response = await api.call("HEAD", "/sip-trunks/trunks")
    assert response.status_code == 200


async def test_the_api_page_and_its_assets_come_from_the_installed_package(world: World) -> None:
    """/docs loads Swagger UI from /docs/assets (no CDN), pointed at openapi.json."""
    app = create_app(world.app, keys=ApiKeys({}), agents=world.agents, api_page=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://byot.test") as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        assert "docs/assets/swagger-ui-bundle.js" in page.text
        assert 'url: "openapi.json"' in page.text
        assert "http" not in page.text.replace("<!doctype html>", "").split("<body>")[1]
        script = await client.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200
        assert len(script.content) > 100_000
        assert (await client.get("/docs/assets/swagger-ui.css")).status_code == 200
