"""SQL-specific behaviour: atomic failures, secrets at rest, statement counts, schema versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

import byot_core
from byot_core.adapters.fernet_secrets import FernetSecretBox, SecretsNotConfigured, new_key
from byot_core.adapters.sql import SqlStorage
from byot_core.adapters.sql import trunk_repository as trunk_repository
from byot_core.adapters.sql.number_repository import SqlNumberRepository
from byot_core.adapters.sql.schema import metadata
from byot_core.adapters.sql.trunk_repository import SqlTrunkRepository
from byot_core.domain.errors import ByotError, TrunkNotFound
from byot_core.domain.secret import Secret
from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from tests.backends import SQL_BACKENDS, database_url
from tests.support import ACCOUNT, IP_TRUNK, USERPASS_TRUNK, body

PASSWORD = "SuperSecurePassword123"


def _all_rows(conn: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: sorted(tuple(map(str, row)) for row in conn.execute(sa.select(table)))
        for table in metadata.sorted_tables
    }


async def snapshot(storage: SqlStorage) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    return await storage.database.run(_all_rows)


async def raw_trunk_rows(storage: SqlStorage) -> list[Any]:
    """The trunk table as the database holds it."""
    return await storage.database.run(lambda conn: list(conn.execute(sa.text("SELECT * FROM byot_trunks")).all()))


class Boom(Exception):
    pass


async def test_failure_in_the_middle_of_a_delete_changes_nothing(
    sql: tuple[byot_core.Byot, SqlStorage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbers are soft-deleted first; a failure before the trunk is rewritten rolls all of it back."""
    app, storage = sql
    trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": "919876543210"})
    before = await snapshot(storage)

    async def fail(self: SqlTrunkRepository, trunk: object) -> None:
        raise Boom()

    monkeypatch.setattr(SqlTrunkRepository, "update", fail)
    with pytest.raises(Boom):
        await app.trunks.delete(ACCOUNT, trunk_id)
    assert await snapshot(storage) == before


async def test_failure_in_the_middle_of_an_update_changes_nothing(
    sql: tuple[byot_core.Byot, SqlStorage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trunk row is rewritten and old gateways deleted before new ones are written; a failure there undoes it."""
    app, storage = sql
    trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, IP_TRUNK)).trunk.id
    before = await snapshot(storage)
    original = trunk_repository._replace_children

    def half(conn: sa.Connection, trunk: Any, stored: Any) -> None:
        conn.execute(sa.text("DELETE FROM byot_gateways WHERE trunk_id = :t"), {"t": trunk.id})
        raise Boom()

    monkeypatch.setattr(trunk_repository, "_replace_children", half)
    with pytest.raises(Boom):
        await GuideApi(app).trunks.update(
            ACCOUNT, trunk_id, {"name": "Renamed", "gateways": [{"gateway_address": "sip.new.example"}]}
        )
    assert await snapshot(storage) == before
    monkeypatch.setattr(trunk_repository, "_replace_children", original)
    updated = await GuideApi(app).trunks.update(
        ACCOUNT, trunk_id, {"gateways": [{"gateway_address": "sip.new.example"}]}
    )
    assert [g.address for g in updated.trunk.gateways] == ["sip.new.example"]


async def test_the_database_never_holds_a_plain_password(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """The raw trunk row holds a Fernet token; the password is only recovered through the secret box."""
    app, storage = sql
    trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    raw = await raw_trunk_rows(storage)
    assert PASSWORD not in repr(raw)
    token = next(value for value in raw[0] if isinstance(value, str) and value.startswith("fernet:"))
    assert token
    await GuideApi(app).trunks.update(ACCOUNT, trunk_id, {"auth_password": "NewSecurePassword456"})
    assert "NewSecurePassword456" not in repr(await raw_trunk_rows(storage))


async def test_a_wrong_key_is_an_error_at_start(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """check_secrets() opens a stored password: a different key fails there, clearly, without the password."""
    app, storage = sql
    await GuideApi(app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    await app.trunks.check_secrets()
    other = byot_core.build(storage=storage, secrets=FernetSecretBox([new_key()]))
    with pytest.raises(ByotError) as caught:
        await other.trunks.check_secrets()
    assert caught.value.code == "secret_unreadable"
    assert PASSWORD not in str(caught.value)


def test_missing_or_malformed_keys_are_refused_when_the_box_is_made() -> None:
    """No key, or a key that is not Fernet's, is a clear error naming the variable, never echoing the key."""
    with pytest.raises(SecretsNotConfigured, match="BYOT_SECRET_KEYS"):
        FernetSecretBox.from_env({})
    with pytest.raises(SecretsNotConfigured, match="number 2") as caught:
        FernetSecretBox.from_env({"BYOT_SECRET_KEYS": f"{new_key()},not-a-key-at-all"})
    assert "not-a-key-at-all" not in str(caught.value)


def test_key_rotation() -> None:
    """A box with a new key first still opens old secrets, and rotate() re-seals them with the new key."""
    old_key, fresh_key = new_key(), new_key()
    sealed = FernetSecretBox([old_key]).seal(Secret(PASSWORD))
    rotated_box = FernetSecretBox([fresh_key, old_key])
    assert rotated_box.open(sealed).reveal() == PASSWORD
    resealed = rotated_box.rotate(sealed)
    assert FernetSecretBox([fresh_key]).open(resealed).reveal() == PASSWORD
    assert PASSWORD not in repr(rotated_box)


class StatementCounter:
    """Counts the statements a storage sends through its engines, beginnings and ends of transactions aside."""

    def __init__(self, storage: SqlStorage) -> None:
        self.count = 0
        #: Every statement seen, beginnings and ends of transactions included.
        self.sent: list[str] = []
        self.storage = storage
        for target in storage.events_targets:
            event.listen(target, "before_cursor_execute", self._seen)

    def _seen(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        self.sent.append(statement)
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            self.count += 1

    def stop(self) -> None:
        for target in self.storage.events_targets:
            event.remove(target, "before_cursor_execute", self._seen)


async def test_listing_and_getting_do_not_query_per_row(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """Listing 1 or 12 trunks, getting a trunk with 10 numbers, and a trunk's 1,000 numbers: the same few statements."""
    app, storage = sql

    async def statements(action: Any) -> int:
        counter = StatementCounter(storage)
        await action
        counter.stop()
        return counter.count

    first = (await GuideApi(app).trunks.create(ACCOUNT, IP_TRUNK)).trunk.id
    one = await statements(app.trunks.list(ACCOUNT))
    for i in range(11):
        trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name=f"t{i}"))).trunk.id
        await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": f"+1555000{i:04d}"})
    for i in range(10):
        await GuideApi(app).numbers.add(ACCOUNT, first, {"phone_number": f"+1555100{i:04d}"})
    twelve = await statements(app.trunks.list(ACCOUNT))
    assert one == twelve
    # A trunk with 10 numbers takes as many as one with 1: one, its numbers with its state, since each trunk was cached
    # at its stored revision when it was written (else the trunk and its children would follow).
    with_ten = await statements(app.trunks.get(ACCOUNT, first))
    assert with_ten == await statements(app.trunks.get(ACCOUNT, trunk_id))
    assert with_ten == 1
    # A trunk's numbers: the same statements for 1 as for 1,000.
    bulky = await GuideApi(app).trunks.create(
        ACCOUNT,
        body(USERPASS_TRUNK, name="bulky", phone_numbers=[{"phone_number": f"+1300{i:07d}"} for i in range(1000)]),
    )
    single = await statements(app.numbers.list(ACCOUNT, trunk_id))
    assert await statements(app.numbers.list(ACCOUNT, bulky.trunk.id)) == single
    assert len(await app.numbers.list(ACCOUNT, bulky.trunk.id)) == 1000


async def test_number_repository_refuses_unknown_trunks(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """A number for a trunk that is not stored is a programming error, not a silent insert."""
    _, storage = sql
    from byot_core.testing import sample_number, sample_trunk

    async with storage.unit_of_work() as uow:
        assert isinstance(uow.numbers, SqlNumberRepository)
        with pytest.raises(LookupError):
            await uow.numbers.add(sample_number("n1", sample_trunk("nope")))


async def test_database_errors_never_carry_their_parameters(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """A statement that fails says which, never with what: sealed passwords and numbers stay out of logs."""
    _, storage = sql
    secret = "sealed-token-that-must-not-leak"

    def fail(conn: sa.Connection) -> None:
        conn.execute(sa.text("SELECT no_such_column FROM trunks WHERE name = :name"), {"name": secret})

    with pytest.raises(sa.exc.DBAPIError) as failed:
        await storage.database.run(fail)
    assert secret not in str(failed.value)
    assert "hidden" in str(failed.value)


@pytest.mark.parametrize("backend", SQL_BACKENDS)
async def test_a_get_answers_a_cached_trunk_as_stored(backend: str, tmp_path: Path) -> None:
    """A GET uses the trunk cached at the stored revision, with the stored sync state; another process's change shows.

    The sync state changes without a new revision and is read with it; any other change makes a new revision, so an
    update through a second storage on the same database (another process, with a cache of its own) is seen at once.
    """
    url = await database_url(backend, tmp_path)
    storage, elsewhere = await SqlStorage.open(url), await SqlStorage.open(url)
    try:
        app, other = byot_core.build(storage=storage), byot_core.build(storage=elsewhere)
        trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, description="first"))).trunk.id
        cached = (await app.trunks.get(ACCOUNT, trunk_id)).trunk  # cached as written, at its commit
        assert cached.sync_state is SyncState.APPLIED
        assert cached == (await other.trunks.get(ACCOUNT, trunk_id)).trunk  # as another process reads it
        async with elsewhere.unit_of_work() as uow:
            await uow.trunks.set_sync_state(trunk_id, SyncState.FAILED)
            await uow.commit()
        assert (await app.trunks.get(ACCOUNT, trunk_id)).trunk.sync_state is SyncState.FAILED
        await GuideApi(other).trunks.update(ACCOUNT, trunk_id, {"description": "second"})
        seen = (await app.trunks.get(ACCOUNT, trunk_id)).trunk
        assert seen.description == "second"
        assert seen == (await other.trunks.get(ACCOUNT, trunk_id)).trunk
        await other.trunks.delete(ACCOUNT, trunk_id)
        with pytest.raises(TrunkNotFound):
            await app.trunks.get(ACCOUNT, trunk_id)
    finally:
        await storage.close()
        await elsewhere.close()


async def test_routing_answers_the_stored_sync_state_of_a_cached_trunk(sql: tuple[byot_core.Byot, SqlStorage]) -> None:
    """Routing keeps trunks cached by revision; the sync state, which changes without one, is still the stored one."""
    app, storage = sql
    trunk_id = (await GuideApi(app).trunks.create(ACCOUNT, IP_TRUNK)).trunk.id
    await GuideApi(app).numbers.add(ACCOUNT, trunk_id, {"phone_number": "+919876543210"})

    async def routed_state() -> SyncState:
        decision = await app.inbound.explain("+919876543210", "15.207.90.192")
        assert decision.candidate is not None
        return decision.candidate.trunk.sync_state

    assert await routed_state() is SyncState.APPLIED  # now cached
    async with storage.unit_of_work() as uow:
        await uow.trunks.set_sync_state(trunk_id, SyncState.FAILED)
        await uow.commit()
    assert await routed_state() is SyncState.FAILED
    assert await routed_state() is SyncState.FAILED
