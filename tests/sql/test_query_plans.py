"""SQLite plans the lookups that answer conflicts on the indexes made for them, whatever the number of rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

import byot_core
from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql.trunk_repository import NAME_TAKEN
from byot_core.domain.errors import TrunkNameConflict
from byot_core.guide_api import GuideApi
from tests.backends import sqlite_url
from tests.support import ACCOUNT, USERPASS_TRUNK, body


async def test_a_taken_trunk_name_is_found_on_the_names_index(tmp_path: Path) -> None:
    """The statement behind a 409 for a taken name reads one entry of the partial unique index, not the account.

    SQLAlchemy writes ``NOT deleted`` as ``deleted = 0`` on SQLite, and SQLite uses a partial index only for a query
    containing the index's own predicate: with the index declared ``WHERE NOT deleted`` this lookup scanned every trunk
    of the account.
    """
    url = sqlite_url(tmp_path)
    storage = await SqlStorage.open(url, upgrade_schema=True)
    try:
        app = byot_core.build(storage=storage)
        for i in range(30):
            await GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"trunk {i}"))
        with pytest.raises(TrunkNameConflict):
            await GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name="TRUNK 7"))
    finally:
        await storage.close()

    sql = str(NAME_TAKEN.compile(dialect=sqlite.dialect()))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (ACCOUNT, "trunk 7", "x")).all()
    finally:
        engine.dispose()
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX ux_byot_trunks_name" in details, details
