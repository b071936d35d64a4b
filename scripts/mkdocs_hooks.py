"""mkdocs hook: the REST reference page is written from the OpenAPI document the server publishes.

A page holding the marker ``<!-- rest-reference -->`` gets, in its place, every operation (method, path, summary,
request body, answers) and every schema (fields, types, required, defaults), so the reference cannot drift from
``/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from byot_core.adapters.http.openapi import openapi_document

MARKER = "<!-- rest-reference -->"
_METHODS = ("get", "post", "put", "patch", "delete")


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = _name(schema["$ref"])
        return f"[{name}](#{name.lower()})"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if "enum" in schema:
        kind += " (" + ", ".join(f"`{v}`" for v in schema["enum"]) + ")"
    if "format" in schema:
        kind += f", {schema['format']}"
    return str(kind)


def _body_schema(content_holder: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = content_holder.get("content", {}).get("application/json", {}).get("schema", {})
    return schema


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", "", operation.get("summary", ""), ""]
    body = operation.get("requestBody")
    if body is not None:
        lines += [f"Body: {_type(_body_schema(body))}", ""]
    for parameter in operation.get("parameters", []):
        where = parameter["in"]
        required = "required" if parameter.get("required") else "optional"
        lines.append(f"- {where} parameter `{parameter['name']}`: {_type(parameter['schema'])}, {required}")
    lines += ["", "| status | answer |", "|---|---|"]
    for status, answer in operation["responses"].items():
        schema = _body_schema(answer)
        shape = _type(schema) if schema else ""
        description = answer.get("description", "")
        lines.append(f"| {status} | {description}: {shape} |" if shape else f"| {status} | {description} |")
    return [*lines, ""]


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    properties = schema.get("properties")
    if not properties:
        return [*lines, _type(schema), ""]
    required = set(schema.get("required", ()))
    lines += ["| field | type | required | default |", "|---|---|---|---|"]
    for field, spec in properties.items():
        default = f"`{spec['default']}`" if "default" in spec else ""
        lines.append(f"| `{field}` | {_type(spec)} | {'yes' if field in required else ''} | {default} |")
    if schema.get("additionalProperties") is False:
        lines += ["", "Other fields are refused (400)."]
    return [*lines, ""]


def rest_reference() -> str:
    """The reference, as Markdown."""
    document = openapi_document()
    lines = ["## Operations", ""]
    for path, operations in document["paths"].items():
        for method in _METHODS:
            if method in operations:
                lines += _operation(method, path, operations[method])
    lines += ["## Schemas", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += _schema(name, schema)
    return "\n".join(lines)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the marker with the reference."""
    return markdown.replace(MARKER, rest_reference()) if MARKER in markdown else markdown
