"""Alembic migrations of the byot schema, shipped with the package."""
