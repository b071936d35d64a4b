"""Schemathesis against the reference app: generated requests never get a 5xx or a response that breaks the schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from byot_core.adapters.http import ApiKeys, create_app, hash_key
from tests.support import ACCOUNT, make_world

KEY = "bn-schemathesis"
_world = make_world()
_app = create_app(_world.app, keys=ApiKeys({hash_key(KEY): ACCOUNT}), agents=_world.agents)
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
    allow_header_conformance,
]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests(case: schemathesis.Case[Any]) -> None:
    """Each operation, with bounded generated input: no 5xx; statuses, types and bodies as the document says."""
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)
