"""The package's outer shape: what importing it pulls in, and what it exports."""

from __future__ import annotations

import subprocess
import sys

import byot_core


def test_import_needs_only_core_dependencies() -> None:
    """`import byot_core` loads no SQL, HTTP or Asterisk library, and no adapter."""
    code = (
        "import sys, byot_core, byot_core.domain, byot_core.ports, byot_core.services\n"
        "heavy = {'sqlalchemy', 'aiohttp', 'starlette', 'uvicorn', 'cattrs', 'alembic'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith('byot_core.adapters'))\n"
        "print(','.join(loaded))\n"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)  # noqa: S603 - fixed
    assert result.stdout.strip() == ""


def test_public_objects_have_docstrings() -> None:
    """Everything exported at the top level is documented."""
    for name in byot_core.__all__:
        assert getattr(byot_core, name).__doc__, name
