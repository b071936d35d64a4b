"""Errors as the API answers them: ``{"detail": "<message>", "code": "<code>"}`` with a meaningful status.

A validation error also carries ``problems``: every problem found, each with its ``path``, ``code`` and ``message``
(``detail`` and ``code`` stay the first one's, as the guide answers).
"""

from __future__ import annotations

from typing import Any

from byot_core.domain.errors import ByotError, ErrorKind, ValidationFailed

__all__ = ["ApiError", "byot_error_body", "error_body", "status_for"]

_STATUS = {
    ErrorKind.VALIDATION: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.REFUSED: 400,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.BUSY: 429,
    ErrorKind.STALE: 412,
}
# Errors that are the server's own configuration problem, not the caller's.
_SERVER_SIDE = {"secret_unreadable": 503, "secrets_not_configured": 503, "schema_out_of_date": 503}


class ApiError(Exception):
    """An HTTP-level refusal (unauthorized, body too large, malformed JSON, unknown route)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def status_for(error: ByotError) -> int:
    """The HTTP status of a library error."""
    return _SERVER_SIDE.get(error.code, _STATUS[error.kind])


def error_body(code: str, detail: str) -> dict[str, str]:
    """The JSON body of an error."""
    return {"detail": detail, "code": code}


def byot_error_body(error: ByotError) -> dict[str, Any]:
    """The JSON body of a library error: its message and code, and for a validation error every problem found."""
    body: dict[str, Any] = dict(error_body(error.code, error.message))
    if isinstance(error, ValidationFailed):
        body["problems"] = [{"path": p.path, "code": p.code, "message": p.message} for p in error.problems]
    return body
