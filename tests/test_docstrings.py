"""Every public object of the library has a docstring, and the REST reference covers every operation."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

import byot_core
from byot_core.adapters.http.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[1]


def modules() -> list[ModuleType]:
    found = [byot_core]
    for info in pkgutil.walk_packages(byot_core.__path__, "byot_core."):
        if ".migrations." in info.name or info.name.endswith(".migrations"):
            continue  # Alembic revision scripts, read by Alembic rather than people
        found.append(importlib.import_module(info.name))
    return found


def test_every_public_object_has_a_docstring() -> None:
    """Modules, everything they export, and the public methods of exported classes are documented."""
    missing = []
    for module in modules():
        if not inspect.getdoc(module):
            missing.append(module.__name__)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if getattr(obj, "__module__", module.__name__) != module.__name__:
                continue  # re-exported: checked where it is defined
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj):
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not (inspect.isfunction(member) or isinstance(member, property)):
                        continue
                    if not (member.__doc__ or "").strip():
                        missing.append(f"{module.__name__}.{name}.{attr}")
    assert missing == []


def test_the_rest_reference_lists_every_operation() -> None:
    """The page built from the OpenAPI document names every path and method and every schema."""
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "scripts" / "mkdocs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = hooks.on_page_markdown("# REST\n\n" + hooks.MARKER + "\n")
    document = openapi_document()
    for path, operations in document["paths"].items():
        for method in operations:
            assert f"### `{method.upper()} {path}`" in page
    for schema in document["components"]["schemas"]:
        assert f"### {schema}\n" in page
    assert hooks.MARKER not in page
