"""Secure trunks pushed to the fake Asterisk: the encryption the endpoint carries, and TLS only where a node has it."""

from __future__ import annotations

import logging

import pytest

from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from tests.asterisk.conftest import AsteriskWorld
from tests.support import ACCOUNT, USERPASS_TRUNK, body

TLS = {"protocol": "tls", "bind": "0.0.0.0:5061", "verify_server": "No"}


async def test_a_tls_trunk_is_not_pushed_to_a_node_without_a_tls_transport(
    world: AsteriskWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """Asterisk would accept the endpoint and its calls would fail: the push is refused, said why, nothing left."""
    with caplog.at_level(logging.WARNING):
        created = await GuideApi(world.app).trunks.create(
            ACCOUNT, body(USERPASS_TRUNK, transport="transport-tls", media_encryption="sdes")
        )
    assert created.trunk.sync_state is SyncState.FAILED
    assert not world.owned()
    assert "has no transport 'transport-tls' in its pjsip.conf" in caplog.text
    world.nodes[0].store.add_file_object("transport", "transport-tls", TLS)  # the operator adds it, reloads
    pushed = await world.app.sync.push(created.trunk)
    assert pushed[0] is SyncState.APPLIED


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, {"media_encryption": "no", "media_encryption_optimistic": "false", "use_avpf": "false"}),
        (
            {"transport": "transport-tls", "media_encryption": "sdes"},
            {"media_encryption": "sdes", "media_encryption_optimistic": "false", "transport": "transport-tls"},
        ),
        (
            {"transport": "transport-tls", "media_encryption": "sdes", "media_encryption_optimistic": True},
            {"media_encryption": "sdes", "media_encryption_optimistic": "true"},
        ),
        (
            {"media_encryption": "dtls"},
            {"media_encryption": "dtls", "dtls_auto_generate_cert": "Yes", "use_avpf": "true"},
        ),
    ],
)
async def test_the_endpoint_carries_the_trunks_media_encryption_and_converges(
    world: AsteriskWorld, settings: dict[str, object], expected: dict[str, str]
) -> None:
    """As a real Asterisk 22 needed it (DTLS with a certificate and AVPF); a second push writes nothing."""
    world.nodes[0].store.add_file_object("transport", "transport-tls", TLS)
    created = await GuideApi(world.app).trunks.create(ACCOUNT, body(USERPASS_TRUNK, **settings))
    assert created.trunk.sync_state is SyncState.APPLIED
    endpoint = world.owned()[("endpoint", f"byot-{created.trunk.id}-gw1")]
    assert {key: endpoint[key] for key in expected} == expected
    puts = [r for r in world.nodes[0].requests if r[0] == "PUT"]
    again = await world.app.sync.push(created.trunk)
    assert again[1] == 0
    assert [r for r in world.nodes[0].requests if r[0] == "PUT"] == puts
