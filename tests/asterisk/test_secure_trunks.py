"""Secure trunks pushed to the fake Asterisk: the encryption the endpoint carries, and TLS only where a node has it."""

from __future__ import annotations

import logging

import pytest

from byot_core.domain.status import ExecutionStatus
from byot_core.domain.trunk import SyncState
from byot_core.guide_api import GuideApi
from byot_core.testing.fake_asterisk import Offer
from byot_core.testing.fake_asterisk.srtp import answer_offer, callee_answer
from byot_core.web import trunk_json
from tests.asterisk.conftest import AsteriskWorld, eventually
from tests.asterisk.test_calls import GATEWAYS, finished, mapped
from tests.support import ACCOUNT, GUIDE_CALL, IP_TRUNK, USERPASS_TRUNK, body

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
    said = trunk_json(created)["sync_error"]
    assert said is not None
    assert "has no transport 'transport-tls' in its pjsip.conf: the trunk was not pushed there" in said
    assert (await world.app.trunks.get(ACCOUNT, created.trunk.id)).sync_error == said
    world.nodes[0].store.add_file_object("transport", "transport-tls", TLS)  # the operator adds it, reloads
    await world.app.sync.reconcile()
    fixed = await world.app.trunks.get(ACCOUNT, created.trunk.id)
    assert (fixed.trunk.sync_state, fixed.sync_error) == (SyncState.APPLIED, None)
    assert trunk_json(fixed)["sync_error"] is None


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


@pytest.mark.parametrize(
    ("endpoint", "offer", "answer"),
    [
        ({"media_encryption": "no"}, Offer.SRTP, 488),
        ({"media_encryption": "no"}, Offer.RTP, None),
        ({"media_encryption": "sdes"}, Offer.RTP, 488),
        ({"media_encryption": "sdes"}, Offer.SRTP_OPTIONAL, None),
        ({"media_encryption": "sdes"}, Offer.SRTP, None),
        ({"media_encryption": "sdes", "media_encryption_optimistic": "true"}, Offer.RTP, None),
        ({"media_encryption": "sdes", "media_encryption_optimistic": "true"}, Offer.SRTP, None),
        ({"media_encryption": "dtls", "dtls_auto_generate_cert": "Yes", "use_avpf": "true"}, Offer.DTLS, None),
        ({"media_encryption": "dtls", "dtls_auto_generate_cert": "Yes", "use_avpf": "false"}, Offer.DTLS, 488),
        ({"media_encryption": "dtls", "dtls_auto_generate_cert": "No", "use_avpf": "true"}, Offer.DTLS, 488),
    ],
)
def test_inbound_offers_are_answered_as_asterisk_22_answered_them(
    endpoint: dict[str, str], offer: Offer, answer: int | None
) -> None:
    """The recorded table: 488 when one side requires encryption the other refuses."""
    assert answer_offer(endpoint, offer) == answer


@pytest.mark.parametrize(
    ("endpoint", "callee", "answer"),
    [
        ({"media_encryption": "sdes"}, Offer.RTP, 488),
        ({"media_encryption": "sdes", "media_encryption_optimistic": "true"}, Offer.SRTP, 488),
        ({"media_encryption": "no"}, Offer.SRTP, 488),
        ({"media_encryption": "sdes"}, Offer.SRTP, None),
        ({"media_encryption": "sdes", "media_encryption_optimistic": "true"}, Offer.RTP, None),
    ],
)
def test_outbound_offers_are_answered_as_callees_answered_them(
    endpoint: dict[str, str], callee: Offer, answer: int | None
) -> None:
    """Outbound, as recorded: what Asterisk offers for each encryption, and the callee's 488 when it cannot take it."""
    assert callee_answer(endpoint, callee) == answer


async def test_an_outbound_call_refused_over_encryption_says_so(world: AsteriskWorld) -> None:
    """An SDES trunk calling a callee without SRTP: 488 (cause 58), the call failed with the reason in words."""
    world.nodes[0].store.add_file_object("transport", "transport-tls", TLS)
    tls = {"transport": "transport-tls", "media_encryption": "sdes"}
    created = await GuideApi(world.app).trunks.create(ACCOUNT, body(IP_TRUNK, gateways=GATEWAYS, **tls))
    await GuideApi(world.app).numbers.add(ACCOUNT, created.trunk.id, {"phone_number": "+919876543210"})
    for gateway in ("203.0.113.1:5060", "203.0.113.2:5060", "203.0.113.3:5060"):
        world.nodes[0].book.callee_media[gateway] = Offer.RTP
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    ended = await finished(world, placed.id)
    assert ended.status is ExecutionStatus.FAILED
    assert ended.hangup_reason is not None
    assert (ended.hangup_reason.q850_cause, ended.hangup_reason.sip_code) == (58, 488)
    assert ended.hangup_reason.text.startswith("The two sides could not agree on the call's media")
    assert len(ended.attempts) == 1  # a final answer of the callee: no failover


async def test_an_inbound_plain_offer_to_a_trunk_requiring_srtp_is_refused_and_nothing_routed(
    world: AsteriskWorld,
) -> None:
    """The carrier offers plain RTP to an SDES trunk: 488 before the dialplan; optimistic, the call is routed."""
    world.nodes[0].store.add_file_object("transport", "transport-tls", TLS)
    tls = {"transport": "transport-tls", "media_encryption": "sdes"}
    trunk_id, _ = await mapped(world, **tls)
    refused = world.nodes[0].inbound_call("+919876543210", "203.0.113.2", offer=Offer.RTP)
    assert refused.sip_answer == 488
    assert not world.handler.offers
    await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, {"media_encryption_optimistic": True})
    routed = world.nodes[0].inbound_call("+919876543210", "203.0.113.2", offer=Offer.RTP)
    await eventually(lambda: len(world.handler.offers) == 1)
    assert world.handler.offers[0].channel_id == routed.id


async def test_a_carrier_asked_to_authenticate_is_challenged_and_only_its_credentials_get_through(
    world: AsteriskWorld,
) -> None:
    """Every endpoint challenges with the trunk's inbound auth: wrong or no credentials 401, nothing routed."""
    trunk_id, number_id = await mapped(world, inbound_auth={"username": "carrier-1"})
    stored = await world.app.trunks.get(ACCOUNT, trunk_id)
    assert stored.trunk.inbound_auth_password is not None
    password = world.app.deps.secrets.open(stored.trunk.inbound_auth_password).reveal()
    objects = world.owned()
    auth_id = f"byot-{trunk_id}-inbound-auth"
    assert objects[("auth", auth_id)]["username"] == "carrier-1"
    assert {fields["auth"] for (type_, _), fields in objects.items() if type_ == "endpoint"} == {auth_id}
    node = world.nodes[0]
    for credentials in (None, ("carrier-1", "wrong"), ("someone", password)):
        refused = node.inbound_call("+919876543210", "203.0.113.2", credentials=credentials)
        assert refused.sip_answer == 401  # never 403, as a real Asterisk
    assert not world.handler.offers
    node.inbound_call("+919876543210", "203.0.113.2", credentials=("carrier-1", password))
    await eventually(lambda: len(world.handler.offers) == 1)
    assert world.handler.offers[0].phone_number_id == number_id
    await GuideApi(world.app).trunks.update(ACCOUNT, trunk_id, {"inbound_auth": None})
    assert ("auth", auth_id) not in world.owned()
