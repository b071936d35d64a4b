"""Routing's select sent on asyncpg gives the rows SQLAlchemy gives, and routing decides the same with either."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

import byot_core
from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql.driver_select import DriverSelect
from byot_core.adapters.sql.number_repository import _CANDIDATES
from byot_core.adapters.sql.schema import UtcDateTime, phone_numbers
from byot_core.guide_api import GuideApi
from tests.backends import database_url
from tests.support import ACCOUNT, IP_TRUNK, body

NUMBERS = ("+919876543210", "+14155550100")


async def test_the_driver_reads_the_rows_sqlalchemy_reads(tmp_path: Path) -> None:
    """Every column, None, booleans and timestamps (timezone-aware, in UTC) alike."""
    storage = await SqlStorage.open(await database_url("postgres", tmp_path))
    try:
        app = byot_core.build(storage=storage)
        trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, body(IP_TRUNK))).trunk.id
        named = await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": NUMBERS[0], "name": "Sales"})
        await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": NUMBERS[1]})
        engine = storage.database.autocommit
        for number in NUMBERS:
            params = {"key": number[1:]}
            async with engine.connect() as connection:
                through_sqlalchemy = [dict(row) for row in await connection.run_sync(_CANDIDATES.read, params)]
                on_the_driver = [dict(row) for row in await _CANDIDATES.fetch(connection, params)]
            assert on_the_driver == through_sqlalchemy
            (row,) = on_the_driver
            assert list(row) == list(_CANDIDATES.statement.selected_columns.keys())
            assert isinstance(row["created_at"], datetime)
            assert row["created_at"].tzinfo is UTC
            assert row["name"] == ("Sales" if number == NUMBERS[0] else None)
            assert row["deleted"] is False
            assert isinstance(row["t_revision"], int)
        assert named.name == "Sales"
    finally:
        await storage.close()


async def test_routing_decides_alike_outside_and_inside_a_snapshot(tmp_path: Path) -> None:
    """``explain`` (the driver) and a snapshot unit of work (SQLAlchemy) find the same candidate."""
    storage = await SqlStorage.open(await database_url("postgres", tmp_path))
    try:
        app = byot_core.build(storage=storage)
        trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, body(IP_TRUNK))).trunk.id
        await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": NUMBERS[0]})
        decision = await app.inbound.explain(NUMBERS[0], "15.207.90.192")
        async with storage.unit_of_work(read_only=True) as uow:
            (candidate,) = await uow.numbers.routing_candidates(NUMBERS[0][1:])
        assert decision.candidate is not None
        assert attrs.evolve(decision.candidate, sources=candidate.sources) == candidate
        assert decision.trunk_id == trunk_id
    finally:
        await storage.close()


def test_a_select_whose_parameters_need_converting_is_refused() -> None:
    """Parameters are sent as given: one SQLAlchemy would convert (a timestamp, to UTC) cannot be sent on the driver."""
    since = sa.select(phone_numbers.c.id).where(phone_numbers.c.created_at > sa.bindparam("since", type_=UtcDateTime))
    with pytest.raises(ValueError, match="'since' would need converting"):
        DriverSelect.of(since)
    assert DriverSelect.of(
        sa.select(phone_numbers.c.id).where(phone_numbers.c.id == sa.bindparam("id"))
    ).parameters == ("id",)
