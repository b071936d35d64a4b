"""The OpenAPI 3.1 document of the reference API: paths from the table of operations, components from the schemas."""

from __future__ import annotations

from typing import Any

from byot_core.adapters.http.operations import OPERATIONS, Operation
from byot_core.adapters.http.schemas import SCHEMAS, Json, ref

__all__ = ["openapi_document"]

_ERRORS = {
    400: "Invalid request",
    401: "Missing or wrong API key",
    403: "The destination is outside the account's or the trunk's outbound destinations (beyond the guide)",
    404: "Not found",
    409: "Conflict",
    412: "If-Match names a version the trunk is no longer at (beyond the guide): read it again",
    413: "Body too large",
    429: "Every channel of the trunk is in use (beyond the guide): try again after Retry-After seconds",
    503: "Unavailable",
}
_QUERY: dict[str, Json] = {
    "to": {
        "name": "to",
        "in": "query",
        "required": True,
        "description": "The called number, in any spelling the library reads (send '+' as %2B)",
        "schema": {"type": "string", "maxLength": 64},
    },
    "source": {
        "name": "source",
        "in": "query",
        "required": False,
        "description": "The address the call would come from (IPv4 or IPv6)",
        "schema": {"type": "string", "maxLength": 64},
    },
    "is_active": {
        "name": "is_active",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
}

_ETAG: Json = {
    "description": "The trunk's version (beyond the guide): its revision, quoted; send it back in If-Match",
    "schema": {"type": "string", "examples": ['"3"']},
}
_IF_MATCH: Json = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "Change only if the trunk is still at this version (its ETag), otherwise 412 (beyond the guide)",
    "schema": {"type": "string"},
}


def _content(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


def _answer(op: Operation) -> Json:
    if op.answer == "audio/wav":  # a file, not JSON
        return {"audio/wav": {"schema": {"type": "string", "contentMediaType": "audio/wav"}}}
    answer = {"type": "array", "items": ref(op.answer[1:-1])} if op.answer.startswith("[") else ref(op.answer)
    return _content(answer)


def _operation(op: Operation) -> Json:
    responses: Json = {str(op.status): {"description": op.description, "content": _answer(op)}}
    if op.etag:
        responses[str(op.status)]["headers"] = {"ETag": _ETAG}
    for status in (401, *op.errors):
        responses[str(status)] = {"description": _ERRORS[status], "content": _content(ref("Error"))}
    operation: Json = {"operationId": op.handler if not op.only_this_method else f"{op.handler}_guide_path"}
    operation |= {"summary": op.summary, "responses": responses}
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": _content(ref(op.body))}
    parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in op.path_params]
    parameters += [_QUERY[q] for q in op.query]
    if op.if_match:
        parameters.append(_IF_MATCH)
    if parameters:
        operation["parameters"] = parameters
    return operation


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    paths: Json = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "byot-core reference API", "version": "0.1.0"},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
