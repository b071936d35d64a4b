"""Trunk use cases: create, list, get, update, delete, with telephony following storage."""

from __future__ import annotations

import pytest

from byot_core import PhoneNumberConflict, TrunkNameConflict, TrunkNotFound, ValidationFailed
from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, IP_TRUNK, OTHER_ACCOUNT, USERPASS_TRUNK, World, body


async def test_create_stores_configures_and_seals(world: World) -> None:
    """Create stores the trunk with defaults, configures telephony, and keeps only a sealed password."""
    details = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    trunk = details.trunk
    assert (trunk.name, trunk.account_id, trunk.is_active, trunk.sync_state) == (
        "Zadarma Production", ACCOUNT, True, SyncState.APPLIED,
    )  # fmt: skip
    assert trunk.settings.qualify_frequency == 60
    assert trunk.settings.transport == "transport-udp"
    assert trunk.auth_password is not None
    assert "SuperSecurePassword123" not in trunk.auth_password.token
    config = world.telephony.configs[trunk.id]
    assert config.password is not None
    assert config.password.reveal() == "SuperSecurePassword123"


async def test_create_with_numbers_is_all_or_nothing(world: World) -> None:
    """Numbers given at creation are stored with the trunk; a bad one refuses the whole request."""
    numbers = [{"phone_number": "+919876543210"}, {"phone_number": "919876543211", "name": "Two"}]
    details = await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, phone_numbers=numbers))
    assert [n.phone_number for n in details.phone_numbers] == ["+919876543210", "919876543211"]
    with pytest.raises(PhoneNumberConflict):
        await GuideApi(world.app).trunks.create(
            ACCOUNT, body(IP_TRUNK, phone_numbers=[{"phone_number": "919876543210"}])
        )
    assert [s.trunk.name for s in await world.app.trunks.list(ACCOUNT)] == ["Zadarma Production"]


async def test_telephony_down_keeps_the_trunk_out_of_sync(world: World) -> None:
    """With telephony unreachable, the trunk is saved and marked FAILED; a reconcile applies it later."""
    world.telephony.down = True
    details = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    assert details.trunk.sync_state is SyncState.FAILED
    assert (await world.app.trunks.get(ACCOUNT, details.trunk.id)).trunk.sync_state is SyncState.FAILED
    world.telephony.down = False
    report = await world.app.sync.reconcile()
    assert (report.applied, report.changed, report.failed) == (1, 1, 0)
    assert details.trunk.id in world.telephony.configs
    assert (await world.app.trunks.get(ACCOUNT, details.trunk.id)).trunk.sync_state is SyncState.APPLIED


async def test_names_are_unique_per_account(world: World) -> None:
    """A second trunk of the same name in one account is refused; another account may use it."""
    await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    with pytest.raises(TrunkNameConflict):
        await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, name="zadarma production"))
    await GuideApi(world.app).trunks.create(OTHER_ACCOUNT, USERPASS_TRUNK)


async def test_list_filters_and_counts(world: World) -> None:
    """Listing filters by is_active and counts each trunk's live numbers."""
    first = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    second = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    await GuideApi(world.app).numbers.add(ACCOUNT, first.trunk.id, {"phone_number": "919876543210"})
    await GuideApi(world.app).trunks.update(ACCOUNT, second.trunk.id, {"is_active": False})
    listed = {s.trunk.name: s.phone_numbers_count for s in await world.app.trunks.list(ACCOUNT)}
    assert listed == {"Zadarma Production": 1, "Plivo Elastic Trunk": 0}
    assert [s.trunk.name for s in await world.app.trunks.list(ACCOUNT, is_active=True)] == ["Zadarma Production"]
    assert [s.trunk.name for s in await world.app.trunks.list(ACCOUNT, is_active=False)] == ["Plivo Elastic Trunk"]
    assert list(await world.app.trunks.list(OTHER_ACCOUNT)) == []


async def test_other_accounts_trunk_is_not_found(world: World) -> None:
    """Another account's trunk reads, updates and deletes as not found."""
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    with pytest.raises(TrunkNotFound):
        await world.app.trunks.get(OTHER_ACCOUNT, trunk_id)
    with pytest.raises(TrunkNotFound):
        await GuideApi(world.app).trunks.update(OTHER_ACCOUNT, trunk_id, {"name": "mine"})
    with pytest.raises(TrunkNotFound):
        await world.app.trunks.delete(OTHER_ACCOUNT, trunk_id)


async def test_update_replaces_lists_whole_and_reconfigures(world: World) -> None:
    """Gateways and identifiers are replaced, other fields kept; telephony gets the new configuration."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)
    trunk_id = created.trunk.id
    update = {
        "outbound_leading_plus_enabled": False,
        "gateways": [{"gateway_address": "sip.newprovider.com", "port": 5060, "priority": 1}],
        "ip_identifiers": [{"ip_address": "203.0.113.10"}],
    }
    updated = (await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, update)).trunk
    assert [g.address for g in updated.gateways] == ["sip.newprovider.com"]
    assert [i.ip_address for i in updated.ip_identifiers] == ["203.0.113.10"]
    assert updated.policy.outbound_leading_plus_enabled is False
    assert updated.settings.inbound_enabled is True
    assert updated.name == "Plivo Elastic Trunk"
    applied = world.telephony.configs[trunk_id].trunk
    assert (applied.gateways, applied.ip_identifiers, applied.settings) == (
        updated.gateways, updated.ip_identifiers, updated.settings,
    )  # fmt: skip
    assert updated.updated_at >= created.trunk.updated_at


async def test_a_call_policy_change_pushes_nothing_to_telephony(world: World) -> None:
    """Asterisk never sees the ring timeout or the leading '+': changing them while telephony is down fails nothing."""
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    world.telephony.down = True
    policy = {"ring_timeout_seconds": 25, "outbound_leading_plus_enabled": False}
    updated = (await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, policy)).trunk
    assert (updated.policy.ring_timeout_seconds, updated.sync_state) == (25, SyncState.APPLIED)
    stored = (await world.app.trunks.get(ACCOUNT, trunk_id)).trunk
    assert (stored.policy.outbound_leading_plus_enabled, stored.sync_state) == (False, SyncState.APPLIED)
    # A setting Asterisk is configured with does need a push, which fails while telephony is down.
    changed = (await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, {"qualify_frequency": 30})).trunk
    assert changed.sync_state is SyncState.FAILED


async def test_credential_rotation(world: World) -> None:
    """The guide's 'Rotate Credentials' example changes the username and the sealed password."""
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    body_ = {"auth_username": "new_bolna_user", "auth_password": "NewSecurePassword456"}
    updated = (await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, body_)).trunk
    assert updated.auth_username == "new_bolna_user"
    config = world.telephony.configs[trunk_id]
    assert config.password is not None
    assert config.password.reveal() == "NewSecurePassword456"


@pytest.mark.parametrize(
    ("template", "payload", "message"),
    [
        (USERPASS_TRUNK, {"auth_password": ""}, "auth_username and auth_password are required for userpass auth"),
        (USERPASS_TRUNK, {"auth_username": None}, "auth_username and auth_password are required for userpass auth"),
        (IP_TRUNK, {"auth_username": "x"}, "auth_username and auth_password are only used by userpass trunks"),
        (IP_TRUNK, {"ip_identifiers": []}, "ip_identifiers are required for ip-based auth"),
    ],
)
async def test_update_cross_field_rules(
    world: World, template: dict[str, object], payload: dict[str, object], message: str
) -> None:
    """Rules that need the stored trunk refuse the update and change nothing."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, template)
    with pytest.raises(ValidationFailed) as caught:
        await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, payload)
    assert caught.value.message == message
    assert (await world.app.trunks.get(ACCOUNT, created.trunk.id)).trunk == created.trunk


async def test_deactivate_and_reactivate(world: World) -> None:
    """Deactivating removes telephony config and frees DIDs; reactivation is refused if a DID moved, naming it."""
    first = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    second = (await GuideApi(world.app).trunks.create(ACCOUNT, IP_TRUNK)).trunk.id
    await GuideApi(world.app).numbers.add(ACCOUNT, first, {"phone_number": "+919876543210"})
    await GuideApi(world.app).trunks.update(ACCOUNT, first, {"is_active": False})
    assert first not in world.telephony.configs
    await GuideApi(world.app).numbers.add(ACCOUNT, second, {"phone_number": "91 98765 43210"})
    with pytest.raises(PhoneNumberConflict) as caught:
        await GuideApi(world.app).trunks.update(ACCOUNT, first, {"is_active": True})
    assert caught.value.message == "Phone number +919876543210 already exists on another active trunk"
    assert (await world.app.trunks.get(ACCOUNT, first)).trunk.is_active is False


async def test_delete_removes_everything(world: World) -> None:
    """Delete soft-deletes numbers and mappings, removes the config, and answers with the guide's message."""
    trunk_id = (await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)).trunk.id
    for n in ("919876543210", "919876543211", "919876543212"):
        await GuideApi(world.app).numbers.add(ACCOUNT, trunk_id, {"phone_number": n})
    result = await world.app.trunks.delete(ACCOUNT, trunk_id)
    assert result.message == "Trunk deleted successfully. 3 phone number(s) removed."
    assert trunk_id not in world.telephony.configs
    with pytest.raises(TrunkNotFound):
        await world.app.trunks.get(ACCOUNT, trunk_id)
    # The name and the numbers are free again.
    again = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    await GuideApi(world.app).numbers.add(ACCOUNT, again.trunk.id, {"phone_number": "919876543210"})


async def test_a_change_stays_pending_until_telephony_confirms_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the process dies between storing a change and applying it, the trunk is not left marked applied."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    assert created.trunk.sync_state is SyncState.APPLIED

    async def crash(_: object, **__: object) -> int:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(world.telephony, "apply_trunk", crash)
    # A change telephony does not see is stored without a push: the trunk stays in step.
    renamed = await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"description": "changed"})
    assert renamed.trunk.sync_state is SyncState.APPLIED
    with pytest.raises(RuntimeError):
        await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"qualify_frequency": 30})
    stored = await world.app.trunks.get(ACCOUNT, created.trunk.id)
    assert (stored.trunk.settings.qualify_frequency, stored.trunk.sync_state) == (30, SyncState.PENDING)


async def test_reconcile_brings_a_forgetful_telephony_back_in_step(world: World) -> None:
    """After telephony lost everything, one pass re-applies every trunk and removes a deleted one's leftovers."""
    ids = [
        (await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, name=f"trunk {i}"))).trunk.id
        for i in range(205)
    ]
    leftover = world.telephony.configs[ids[0]]
    await world.app.trunks.delete(ACCOUNT, ids[0])
    world.telephony.configs.clear()
    world.telephony.configs[ids[0]] = leftover
    report = await world.app.sync.reconcile()
    assert (report.applied, report.changed, report.removed, report.failed) == (204, 204, 1, 0)
    assert set(world.telephony.configs) == set(ids[1:])
    again = await world.app.sync.reconcile()
    assert (again.applied, again.changed, again.removed) == (204, 0, 0)
