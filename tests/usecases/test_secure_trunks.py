"""A trunk's media encryption (on every storage): the values it takes, SDES only over TLS, kept and read back."""

from __future__ import annotations

import re

import pytest

from byot_core import ValidationFailed
from byot_core.domain.secure_trunk_checks import MSG_SDES_NEEDS_TLS
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, IP_TRUNK, USERPASS_TRUNK, World, body


@pytest.mark.parametrize(
    ("settings", "kept"),
    [
        ({}, ("none", False)),
        ({"transport": "transport-tls", "media_encryption": "sdes"}, ("sdes", False)),
        (
            {"transport": "transport-tls", "media_encryption": "sdes", "media_encryption_optimistic": True},
            ("sdes", True),
        ),
        ({"media_encryption": "dtls"}, ("dtls", False)),
    ],
)
async def test_media_encryption_is_kept_as_given(
    world: World, settings: dict[str, object], kept: tuple[str, bool]
) -> None:
    """Created with the encryption asked for (none by default, as the guide's trunks), read back the same."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, **settings))
    read = (await world.app.trunks.get(ACCOUNT, created.trunk.id)).trunk.settings
    assert (read.media_encryption, read.media_encryption_optimistic) == kept


async def test_sdes_is_refused_unless_the_trunk_is_on_tls(world: World) -> None:
    """On UDP or TCP the keys would travel in clear: refused at creation, and by a PATCH that would leave it so."""
    for transport in ("transport-udp", "transport-tcp"):
        with pytest.raises(ValidationFailed) as refused:
            await GuideApi(world.app).trunks.create(
                ACCOUNT, body(USERPASS_TRUNK, transport=transport, media_encryption="sdes")
            )
        assert (refused.value.code, refused.value.message) == ("sdes_needs_tls", MSG_SDES_NEEDS_TLS)
    secure = await GuideApi(world.app).trunks.create(
        ACCOUNT, body(USERPASS_TRUNK, transport="transport-tls", media_encryption="sdes")
    )
    with pytest.raises(ValidationFailed) as downgraded:
        await GuideApi(world.app).trunks.update(ACCOUNT, secure.trunk.id, {"transport": "transport-udp"})
    assert downgraded.value.code == "sdes_needs_tls"
    kept = await world.app.trunks.get(ACCOUNT, secure.trunk.id)
    assert kept.trunk.settings.transport == "transport-tls"  # nothing written
    plain = await GuideApi(world.app).trunks.update(
        ACCOUNT, secure.trunk.id, {"transport": "transport-udp", "media_encryption": "none"}
    )
    assert (plain.trunk.settings.transport, plain.trunk.settings.media_encryption) == ("transport-udp", "none")


async def test_an_unknown_media_encryption_is_refused_with_the_values_it_may_take(world: World) -> None:
    """Anything but none, sdes, dtls is a 400 naming them."""
    with pytest.raises(ValidationFailed) as refused:
        await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, media_encryption="zrtp"))
    assert refused.value.message == "media_encryption must be one of none, sdes, dtls"


async def test_a_tls_trunks_gateways_default_to_port_5061(world: World) -> None:
    """A gateway without a port is dialled on the transport's: 5061 over TLS, 5060 otherwise; a port given stays."""
    gateways = [{"gateway_address": "sip.a.example"}, {"gateway_address": "sip.b.example", "port": 5070}]
    tls = await GuideApi(world.app).trunks.create(
        ACCOUNT, body(USERPASS_TRUNK, name="tls", transport="transport-tls", gateways=gateways)
    )
    assert [g.port for g in tls.trunk.gateways] == [5061, 5070]
    udp = await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, name="udp", gateways=gateways))
    assert [g.port for g in udp.trunk.gateways] == [5060, 5070]
    moved = await GuideApi(world.app).trunks.update(
        ACCOUNT, udp.trunk.id, {"transport": "transport-tls", "gateways": [{"gateway_address": "sip.a.example"}]}
    )
    assert [g.port for g in moved.trunk.gateways] == [5061]


async def test_inbound_credentials_are_generated_answered_once_rotated_and_removed(world: World) -> None:
    """A username asked for: a 32-character password answered by that request only, sealed; sent again, a new one."""
    created = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, inbound_auth={"username": "carrier-1"}))
    first = created.inbound_password
    assert first is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", first.reveal())
    assert created.trunk.inbound_auth_username == "carrier-1"
    assert created.trunk.inbound_auth_password is not None
    assert first.reveal() not in repr(created)
    assert world.secrets.open(created.trunk.inbound_auth_password) == first
    read = await world.app.trunks.get(ACCOUNT, created.trunk.id)
    assert (read.inbound_password, read.trunk.inbound_auth_username) == (None, "carrier-1")
    rotated = await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"inbound_auth": {"username": "c2"}})
    assert rotated.inbound_password is not None
    assert rotated.inbound_password.reveal() != first.reveal()
    untouched = await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"name": "renamed"})
    assert untouched.inbound_password is None
    assert untouched.trunk.inbound_auth_password == rotated.trunk.inbound_auth_password
    removed = await GuideApi(world.app).trunks.update(ACCOUNT, created.trunk.id, {"inbound_auth": None})
    assert (removed.trunk.inbound_auth_username, removed.trunk.inbound_auth_password) == (None, None)


@pytest.mark.parametrize(
    ("inbound_auth", "path"),
    [({}, "inbound_auth.username"), ({"username": " "}, "inbound_auth.username"), ("carrier", "inbound_auth"),
     ({"username": "a", "password": "mine"}, "inbound_auth.password"),
     ({"username": "x" * 65}, "inbound_auth.username")],
)  # fmt: skip
async def test_bad_inbound_credentials_are_refused(world: World, inbound_auth: object, path: str) -> None:
    """No username, a blank or long one, not an object, a password of one's own: 400 on the field, nothing made."""
    with pytest.raises(ValidationFailed) as refused:
        await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, inbound_auth=inbound_auth))
    assert path in [p.path for p in refused.value.problems]
