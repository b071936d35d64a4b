"""Create and update bodies: the guide's defaults and messages, and the checks beyond the guide."""

from __future__ import annotations

from typing import Any

import pytest

from byot_core.domain.errors import ValidationFailed
from byot_core.domain.secret import Secret
from byot_core.domain.trunk import AuthType
from byot_core.guide import read_trunk_create, read_trunk_update
from tests.support import IP_TRUNK, USERPASS_TRUNK, body


def refused(payload: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        read_trunk_create(payload)
    return caught.value


def test_guide_userpass_example_is_accepted_with_defaults() -> None:
    """The guide's userpass example parses, and unspecified fields take the guide's defaults."""
    draft = read_trunk_create(body(USERPASS_TRUNK, allow=None, disallow=None))
    assert draft.auth_type is AuthType.USERPASS
    assert draft.auth_password == Secret("SuperSecurePassword123")
    assert draft.gateways[0].address == "sip.zadarma.com"
    assert draft.settings == {"inbound_enabled": True, "outbound_leading_plus_enabled": True}


def test_guide_ip_based_example_is_accepted() -> None:
    """The guide's ip-based (Plivo) example parses with its three CIDR identifiers."""
    draft = read_trunk_create(IP_TRUNK)
    assert draft.ip_identifiers == ("15.207.90.192/31", "204.89.151.128/27", "13.52.9.0/25")
    assert draft.auth_username is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (body(USERPASS_TRUNK, name=None), "Trunk name is required"),
        (body(USERPASS_TRUNK, name=""), "Trunk name is required"),
        (body(USERPASS_TRUNK, name="   "), "Trunk name is required"),
        (body(USERPASS_TRUNK, provider=None), "Provider is required"),
        (body(USERPASS_TRUNK, provider=""), "Provider is required"),
        (body(USERPASS_TRUNK, auth_type=None), "auth_type must be 'userpass' or 'ip-based'"),
        (body(USERPASS_TRUNK, auth_type="digest"), "auth_type must be 'userpass' or 'ip-based'"),
        (body(USERPASS_TRUNK, gateways=None), "At least one gateway is required"),
        (body(USERPASS_TRUNK, gateways=[]), "At least one gateway is required"),
        (body(USERPASS_TRUNK, auth_password=None), "auth_username and auth_password are required for userpass auth"),
        (body(USERPASS_TRUNK, auth_username=""), "auth_username and auth_password are required for userpass auth"),
        (body(IP_TRUNK, ip_identifiers=None), "ip_identifiers are required for ip-based auth"),
        (body(IP_TRUNK, ip_identifiers=[]), "ip_identifiers are required for ip-based auth"),
    ],
)
def test_guide_messages(payload: dict[str, Any], message: str) -> None:
    """Each of the guide's 400 messages, to the letter, as the error's message."""
    assert refused(payload).message == message


def test_guide_messages_come_in_the_guides_order() -> None:
    """An empty body lists the guide's problems in the guide's order, the first one leading."""
    error = refused({})
    assert [p.message for p in error.problems] == [
        "Trunk name is required",
        "Provider is required",
        "auth_type must be 'userpass' or 'ip-based'",
        "At least one gateway is required",
    ]


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        ({"inbound_enable": True}, "inbound_enable", "Unknown field 'inbound_enable'"),
        ({"inbound_enabled": "yes"}, "inbound_enabled", "must be true or false"),
        ({"inbound_enabled": 1}, "inbound_enabled", "must be true or false"),
        ({"qualify_frequency": True}, "qualify_frequency", "must be an integer"),
        ({"qualify_frequency": 86401}, "qualify_frequency", "from 0 to 86400"),
        ({"qualify_frequency": -1}, "qualify_frequency", "from 0 to 86400"),
        ({"name": 42}, "name", "must be a string"),
        ({"name": "a\nb"}, "name", "control characters"),
        ({"transport": "udp"}, "transport", "must be one of transport-tcp, transport-tls, transport-udp"),
        ({"allow": "g729"}, "allow", "must include ulaw or alaw"),
        ({"allow": "ulaw,foo"}, "allow", "unknown codec 'foo'"),
        ({"allow": "ulaw, alaw"}, "allow", "unknown codec ' alaw'"),
        ({"disallow": ""}, "disallow", "at least one codec"),
        ({"auth_password": "pa;ss"}, "auth_password", "must not contain ';'"),
        ({"auth_password": "pass\nsecret=x"}, "auth_password", "must not contain ';'"),
        ({"auth_username": " user"}, "auth_username", "must not start or end with spaces"),
        ({"auth_username": "a,b"}, "auth_username", "must not contain ','"),
        ({"auth_username": "[section]"}, "auth_username", "must not contain ';', '['"),
        ({"description": 5}, "description", "must be a string"),
        ({"gateways": "sip.x.com"}, "gateways", "must be a list"),
        ({"gateways": ["sip.x.com"]}, "gateways[0]", "must be an object"),
        ({"phone_numbers": [{"phone_number": "abc"}]}, "phone_numbers[0].phone_number", "only digits"),
    ],
)
def test_beyond_the_guide(changes: dict[str, Any], path: str, fragment: str) -> None:
    """Wrong types, unknown fields, ranges, codecs, transports and config-unsafe values get clear messages."""
    error = refused(body(USERPASS_TRUNK, **changes))
    matching = [p for p in error.problems if p.path == path]
    assert matching, error.problems
    assert fragment in matching[0].message


@pytest.mark.parametrize(
    ("gateway", "path", "fragment"),
    [
        ({"gateway_address": "sip:sip.x.com"}, "gateway_address", "without a scheme"),
        ({"gateway_address": "user@sip.x.com"}, "gateway_address", "without a user part"),
        ({"gateway_address": "sip.x.com:5060"}, "gateway_address", "without a port"),
        ({"gateway_address": "sip.x.com;transport=tcp"}, "gateway_address", "without parameters"),
        ({"gateway_address": "bad_host!"}, "gateway_address", "valid hostname"),
        ({"gateway_address": "1.2.3"}, "gateway_address", "valid hostname"),
        ({"gateway_address": ""}, "gateway_address", "must not be empty"),
        ({}, "gateway_address", "is required"),
        ({"gateway_address": "a.com", "port": 0}, "port", "from 1 to 65535"),
        ({"gateway_address": "a.com", "port": 65536}, "port", "from 1 to 65535"),
        ({"gateway_address": "a.com", "port": "5060"}, "port", "must be an integer"),
        ({"gateway_address": "a.com", "priority": 0}, "priority", "must be an integer from 1 to"),
        ({"gateway_address": "a.com", "priority": 1.5}, "priority", "must be an integer"),
        ({"gateway_address": "a.com", "host": "x"}, "host", "Unknown field 'gateways[0].host'"),
    ],
)
def test_gateway_checks(gateway: dict[str, Any], path: str, fragment: str) -> None:
    """Gateway addresses are a bare hostname or IP; port and priority are bounded integers."""
    error = refused(body(USERPASS_TRUNK, gateways=[gateway]))
    matching = [p for p in error.problems if p.path == f"gateways[0].{path}"]
    assert matching, error.problems
    assert fragment in matching[0].message


def test_duplicate_gateways_are_refused() -> None:
    """The same address and port twice would make two identical endpoints."""
    gateway = {"gateway_address": "sip.x.com", "port": 5060}
    error = refused(body(USERPASS_TRUNK, gateways=[gateway, {"gateway_address": "SIP.X.COM"}]))
    assert "repeats gateway" in error.message


@pytest.mark.parametrize("address", ["10.0.0.0/33", "10/8", "1.2.3", "example.com", "10.0.0.1-10.0.0.9", "::g"])
def test_bad_ip_identifiers_are_refused(address: str) -> None:
    """IP identifiers must be IPv4/IPv6 addresses or CIDR ranges."""
    error = refused(body(IP_TRUNK, ip_identifiers=[{"ip_address": address}]))
    assert error.problems[0].path == "ip_identifiers[0].ip_address"


@pytest.mark.parametrize("address", ["203.0.113.5", "203.0.113.0/24", "2001:db8::/32", "2001:db8::1"])
def test_good_ip_identifiers_are_kept_as_given(address: str) -> None:
    """Addresses and CIDRs of both families are accepted and kept as written."""
    assert read_trunk_create(body(IP_TRUNK, ip_identifiers=[{"ip_address": address}])).ip_identifiers == (address,)


def test_auth_fields_on_an_ip_based_trunk_are_refused() -> None:
    """Credentials are meaningless on an ip-based trunk and are refused rather than stored."""
    error = refused(body(IP_TRUNK, auth_username="u", auth_password="p"))
    assert error.message == "auth_username and auth_password are only used by userpass trunks"


def test_body_must_be_an_object() -> None:
    """A body that is not a JSON object is one clear problem."""
    assert refused(["not", "an", "object"]).message == "request body must be a JSON object"


def test_every_problem_is_listed_with_its_path() -> None:
    """All problems are reported at once, not one per attempt."""
    error = refused(body(USERPASS_TRUNK, qualify_frequency=-5, transport="x", inbound_enable=True))
    assert {p.path for p in error.problems} == {"qualify_frequency", "transport", "inbound_enable"}


def test_update_reads_only_the_fields_sent() -> None:
    """A partial update carries what was sent and nothing else."""
    changes = read_trunk_update({"outbound_leading_plus_enabled": False, "description": None})
    assert changes.settings == {"outbound_leading_plus_enabled": False}
    assert changes.description is None
    assert not changes.gateways


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": ""}, "Trunk name is required"),
        ({"gateways": []}, "At least one gateway is required"),
        (
            {"auth_type": "ip-based"},
            "Unknown field 'auth_type': auth_type cannot be changed; create a new trunk instead",
        ),
        (
            {"phone_numbers": []},
            "Unknown field 'phone_numbers': add or remove numbers through the trunk's numbers endpoints",
        ),
        ({"inbound_enable": True}, "Unknown field 'inbound_enable'"),
        ({"is_active": "false"}, "is_active must be true or false"),
    ],
)
def test_update_refusals(payload: dict[str, Any], message: str) -> None:
    """Update bodies are checked field by field with the same messages."""
    with pytest.raises(ValidationFailed) as caught:
        read_trunk_update(payload)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("allow", "fragment"),
    [
        (",".join(["ulaw"] * 300), "allow must name at most 16 codecs"),
        ("ulaw,alaw,ulaw", "allow names 'ulaw' twice"),
        ("ulaw," + "x" * 1500, "allow has an unknown codec"),
    ],
)
def test_codec_lists_are_bounded(allow: str, fragment: str) -> None:
    """A codec list names known codecs, each once, at most sixteen: no stored value can outgrow the renderer."""
    error = refused(body(USERPASS_TRUNK, allow=allow))
    assert error.message.startswith(fragment)
    assert len(error.message) < 200
