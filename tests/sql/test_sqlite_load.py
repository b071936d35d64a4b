"""SQLite under more concurrent requests than it has worker threads or pooled connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

import byot_core
from byot_core.adapters.sql import SqlStorage
from byot_core.guide_api import GuideApi
from tests.backends import database_url
from tests.support import ACCOUNT, USERPASS_TRUNK, body


async def test_many_concurrent_units_of_work_on_one_sqlite_storage(tmp_path: Path) -> None:
    """60 concurrent creates and adds on one storage all finish promptly: no thread waits on its own process."""
    storage = await SqlStorage.open(await database_url("sqlite", tmp_path))
    app = byot_core.build(storage=storage)
    try:
        trunks = await asyncio.wait_for(
            asyncio.gather(
                *(GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"t{i}")) for i in range(30))
            ),
            timeout=8,
        )
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    GuideApi(app).numbers.add(ACCOUNT, t.trunk.id, {"phone_number": f"+1555000{i:04d}"})
                    for i, t in enumerate(trunks)
                )
            ),
            timeout=8,
        )
        assert sum(s.phone_numbers_count for s in await app.trunks.list(ACCOUNT)) == 30
    finally:
        await storage.close()
