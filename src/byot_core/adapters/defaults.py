"""Defaults shared by the command line and the reference server (no dependencies, so ``byot --help`` needs none)."""

from __future__ import annotations

__all__ = ["DEFAULT_DATABASE_URL"]

#: Where ``byot`` keeps its data unless told otherwise: an SQLite file in the current folder.
DEFAULT_DATABASE_URL = "sqlite:///byot.sqlite3"
