"""Errors as the reference API answers them: ``{"detail": "<message>", "code": "<code>"}`` with a meaningful status.

Library errors are answered as :mod:`byot_core.web` says (the status of each kind, every problem of a 400);
:class:`ApiError` is the server's own refusals (unauthorized, body too large, malformed JSON, unknown route).
"""

from __future__ import annotations

__all__ = ["ApiError", "error_body"]


class ApiError(Exception):
    """An HTTP-level refusal (unauthorized, body too large, malformed JSON, unknown route)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def error_body(code: str, detail: str) -> dict[str, str]:
    """The JSON body of an error."""
    return {"detail": detail, "code": code}
