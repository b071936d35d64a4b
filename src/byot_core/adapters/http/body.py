r"""Reading a request body as JSON, refusing with a 400 (never a 500) whatever arrives.

Beyond malformed JSON, three inputs break a plain ``json.loads`` later or at once: nesting deep enough to exhaust
the parser's recursion, an integer longer than CPython converts (4,300 digits), and a lone surrogate escape
(``"\ud800"``), which decodes into a string that can be neither stored nor written back as UTF-8. Each is refused
here with the usual ``{"detail", "code"}`` body, before any use case sees it.
"""

from __future__ import annotations

import json

from starlette.requests import Request

from byot_core.adapters.http.errors import ApiError

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "read_json"]

#: The largest request body accepted, in bytes.
MAX_BODY_BYTES = 1_048_576
#: The deepest nesting of objects and lists accepted (the guide's bodies nest three levels).
MAX_DEPTH = 32


def _check(value: object) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and strings that are not valid Unicode; never recursive."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            texts = [item]
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise ApiError(400, "malformed_json", f"Request body is nested deeper than {MAX_DEPTH} levels")
            members = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
            texts = [k for k, _ in members if isinstance(k, str)]
            stack += [(v, depth + 1) for _, v in members]
        else:
            continue
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ApiError(
                    400, "invalid_text", "Request body holds text that is not valid Unicode (a lone surrogate escape)"
                ) from None


async def read_json(request: Request, max_bytes: int = MAX_BODY_BYTES) -> object:
    """The request body decoded as JSON; :class:`ApiError` 413 when too large, 400 when it cannot be taken."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, "body_too_large", f"Request body is larger than {max_bytes} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, "body_too_large", f"Request body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ApiError(400, "invalid_body", "Request body must be a JSON object")
    try:
        decoded = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(400, "malformed_json", f"Request body is not valid JSON: {error}") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", f"Request body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        # CPython refuses to convert integers of more than 4,300 digits.
        raise ApiError(400, "malformed_json", "Request body holds a number too long to read") from None
    if not _plainly_safe(raw):
        _check(decoded)
    return decoded


def _plainly_safe(raw: bytes) -> bool:
    r"""Whether the raw body alone shows that :func:`_check` would find nothing (the common case, at C speed).

    Plain ASCII (no NUL, so ``json.loads`` reads it as UTF-8) holds no surrogate unless escaped as ``\u``, and
    cannot nest deeper than it has brackets.
    """
    return raw.isascii() and b"\x00" not in raw and b"\\u" not in raw and raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH
