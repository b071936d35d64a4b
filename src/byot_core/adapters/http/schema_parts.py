"""What every OpenAPI component schema is built from: references, nullable types, timestamps."""

from __future__ import annotations

from typing import Any

__all__ = ["TS", "TS_NULL", "Json", "nullable", "ref"]

Json = dict[str, Any]
_S = "#/components/schemas/"
#: A timestamp, and one that may be null.
TS: Json = {"type": "string", "format": "date-time"}
TS_NULL: Json = {"type": ["string", "null"], "format": "date-time"}


def ref(name: str) -> Json:
    """A reference to a component schema."""
    return {"$ref": _S + name}


def nullable(kind: str) -> Json:
    """A value of ``kind``, or null."""
    return {"type": [kind, "null"]}
