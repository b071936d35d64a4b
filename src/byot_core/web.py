"""What an embedder's own HTTP endpoints need to answer as the guide does, without the reference server.

No web framework is imported: each function returns plain values (a status code, a JSON-ready ``dict``), for
FastAPI, Django, aiohttp or anything else.

- :func:`http_status`: the status a library error answers with (``ErrorKind`` → 400, 403, 404, 409, 412, 429, 503, and
  503 for the server's own configuration errors).
- :func:`error_json`: the error's body, ``{"detail", "code"}`` and, for a ``ValidationFailed``, ``problems``: every
  problem found, each with its ``path``, ``code`` and ``message`` (``detail`` and ``code`` stay the first one's, as
  the guide answers).
- :func:`trunk_json`, :func:`trunk_summary_json`, :func:`number_json`, :func:`execution_json`: the guide's
  "Complete Trunk Object", list entry, "Complete Phone Number Object" and execution, field for field;
  :func:`decision_json`: a routing decision, rule by rule (beyond the guide).
"""

from __future__ import annotations

from typing import Any

from byot_core.adapters.guide_json import decision_json, execution_json, number_json, trunk_json, trunk_summary_json
from byot_core.domain.errors import ByotError, ErrorKind, ValidationFailed

__all__ = [
    "HTTP_STATUS",
    "decision_json",
    "error_json",
    "execution_json",
    "http_status",
    "number_json",
    "trunk_json",
    "trunk_summary_json",
]

#: The HTTP status of each kind of library error.
HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.VALIDATION: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.REFUSED: 400,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.BUSY: 429,
    ErrorKind.STALE: 412,
    ErrorKind.FORBIDDEN: 403,
}
# Errors that are the server's own configuration problem, not the caller's.
_SERVER_SIDE = {"secret_unreadable": 503, "secrets_not_configured": 503, "schema_out_of_date": 503}


def http_status(error: ByotError) -> int:
    """The HTTP status a library error answers with."""
    return _SERVER_SIDE.get(error.code, HTTP_STATUS[error.kind])


def error_json(error: ByotError) -> dict[str, Any]:
    """The JSON body of a library error: its message and code, and for a validation error every problem found."""
    body: dict[str, Any] = {"detail": error.message, "code": error.code}
    if isinstance(error, ValidationFailed):
        body["problems"] = [{"path": p.path, "code": p.code, "message": p.message} for p in error.problems]
    return body
