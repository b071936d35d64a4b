"""Properties of reading the guide's JSON: accepted input round-trips into the typed draft, refused input is named.

The typed path and the JSON path are held to the same rules: a draft read from JSON passes the domain's check
unchanged, and a typed draft built with a refused value is refused with the message the JSON reader gives.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import netaddr
import pytest
from hypothesis import given
from hypothesis import strategies as st

from byot_core.domain.errors import ValidationFailed
from byot_core.domain.secret import Secret
from byot_core.domain.sip_values import is_ip_literal
from byot_core.domain.trunk import AuthType
from byot_core.domain.trunk_checks import check_draft
from byot_core.domain.trunk_draft import (
    MSG_AUTH_NOT_USED,
    MSG_AUTH_TYPE,
    MSG_GATEWAY_REQUIRED,
    MSG_IP_IDENTIFIERS_REQUIRED,
    MSG_NAME_REQUIRED,
    MSG_PROVIDER_REQUIRED,
    MSG_USERPASS_REQUIRED,
    GatewayDraft,
    TrunkDraft,
)
from byot_core.guide import read_trunk_create
from tests.strategies import trunk_bodies
from tests.support import IP_TRUNK, USERPASS_TRUNK, body

SPECIAL = set(";[]\n\r\x00")
GUIDE_MESSAGES = {
    MSG_NAME_REQUIRED, MSG_PROVIDER_REQUIRED, MSG_AUTH_TYPE, MSG_GATEWAY_REQUIRED, MSG_USERPASS_REQUIRED,
    MSG_IP_IDENTIFIERS_REQUIRED, MSG_AUTH_NOT_USED,
}  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@given(trunk_bodies())
def test_an_accepted_body_round_trips_into_the_draft(payload: dict[str, Any]) -> None:
    """Every documented body is read into a draft holding exactly its values, which the domain accepts as is."""
    draft = read_trunk_create(payload)
    check_draft(draft)
    assert (draft.name, draft.provider, draft.auth_type.value) == (
        payload["name"], payload["provider"], payload["auth_type"],
    )  # fmt: skip
    expected = [GatewayDraft(g["gateway_address"], g.get("port"), g.get("priority", 1)) for g in payload["gateways"]]
    assert list(draft.gateways) == expected
    assert draft.ip_identifiers == tuple(i["ip_address"] for i in payload.get("ip_identifiers", ()))
    assert {k: v for k, v in draft.settings.items()} == {
        k: payload[k] for k in ("inbound_enabled", "allow") if k in payload
    }


@given(st.text(max_size=30), st.text(max_size=30))
def test_accepted_credentials_are_config_safe(username: str, password: str) -> None:
    """Credentials the write path accepts never carry characters that change Asterisk configuration."""
    try:
        draft = read_trunk_create(body(USERPASS_TRUNK, auth_username=username, auth_password=password))
    except ValidationFailed:
        return
    assert draft.auth_username is not None
    assert draft.auth_password is not None
    for value in (draft.auth_username, draft.auth_password.reveal()):
        assert not SPECIAL & set(value)
        assert value == value.strip()
        assert "," not in value


def named(path: str, message: str) -> bool:
    """Whether a message names the field it is about (or is one of the guide's own)."""
    if message in GUIDE_MESSAGES:
        return True
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    return message.startswith((f"{path} ", f"{path}: ", f"Unknown field '{top}", "request body "))


@given(st.dictionaries(st.sampled_from([*sorted(USERPASS_TRUNK), "x", "gateways"]), json_values, max_size=8))
def test_refused_json_names_each_field_it_refuses(payload: dict[str, Any]) -> None:
    """Arbitrary JSON in any field is accepted or refused with ValidationFailed, each problem naming its field."""
    try:
        read_trunk_create(body(USERPASS_TRUNK, **{k: v for k, v in payload.items() if v is not None}))
    except ValidationFailed as error:
        refused = error
    else:
        return
    for problem in refused.problems:
        assert named(problem.path, problem.message), problem
    assert refused.message == refused.problems[0].message


def typed(base: dict[str, Any], **changes: Any) -> TrunkDraft:
    draft = read_trunk_create(base)
    return attrs.evolve(draft, **changes)


@pytest.mark.parametrize(
    ("json_body", "typed_draft"),
    [
        (body(USERPASS_TRUNK, name="  "), lambda: typed(USERPASS_TRUNK, name="  ")),
        (body(USERPASS_TRUNK, provider=""), lambda: typed(USERPASS_TRUNK, provider="")),
        (body(USERPASS_TRUNK, gateways=[]), lambda: typed(USERPASS_TRUNK, gateways=())),
        (body(USERPASS_TRUNK, auth_password=""), lambda: typed(USERPASS_TRUNK, auth_password=None)),
        (body(IP_TRUNK, ip_identifiers=[]), lambda: typed(IP_TRUNK, ip_identifiers=())),
        (body(IP_TRUNK, auth_username="u"), lambda: typed(IP_TRUNK, auth_username="u")),
        (body(USERPASS_TRUNK, gateways=[{"gateway_address": "sip.a.example", "port": 0}]),
         lambda: typed(USERPASS_TRUNK, gateways=(GatewayDraft("sip.a.example", port=0),))),
        (body(USERPASS_TRUNK, auth_password="a;b"), lambda: typed(USERPASS_TRUNK, auth_password=Secret("a;b"))),
        (body(IP_TRUNK, ip_identifiers=[{"ip_address": "300.1.1.1"}]),
         lambda: typed(IP_TRUNK, ip_identifiers=("300.1.1.1",))),
        (body(USERPASS_TRUNK, qualify_frequency=86401),
         lambda: typed(USERPASS_TRUNK, settings={"qualify_frequency": 86401})),
        (body(USERPASS_TRUNK, allow="g722"), lambda: typed(USERPASS_TRUNK, settings={"allow": "g722"})),
        (body(USERPASS_TRUNK, transport="udp"), lambda: typed(USERPASS_TRUNK, settings={"transport": "udp"})),
    ],
)  # fmt: skip
def test_a_typed_draft_is_refused_as_its_json_is(json_body: dict[str, Any], typed_draft: Any) -> None:
    """The same refused value, typed or in JSON: the same problems, the guide's message first."""
    with pytest.raises(ValidationFailed) as from_json:
        read_trunk_create(json_body)
    with pytest.raises(ValidationFailed) as from_types:
        check_draft(typed_draft())
    assert from_types.value.problems == from_json.value.problems


def test_a_typed_draft_with_an_auth_type_it_does_not_use_is_refused() -> None:
    """An ip-based draft carrying a password is refused: credentials are only for userpass trunks."""
    draft = typed(IP_TRUNK, auth_password=Secret("p"), auth_type=AuthType.IP_BASED)
    with pytest.raises(ValidationFailed, match="only used by userpass"):
        check_draft(draft)


@given(
    st.one_of(
        st.text(max_size=45),
        st.text(alphabet="0123456789.:abcdefABCDEF[]/% ", max_size=45),
        st.ip_addresses().map(str),
        st.ip_addresses(v=6).map(lambda address: f"{address}%eth0"),
    )
)
def test_an_ip_literal_is_what_netaddr_reads_as_one(text: str) -> None:
    """The fast paths of ``is_ip_literal`` (IPv4 as ``inet_pton`` reads it, no colon no IPv6) agree with netaddr."""
    try:
        netaddr.IPAddress(text)
        expected = True
    except (netaddr.AddrFormatError, ValueError, TypeError):
        expected = False
    assert is_ip_literal(text) == expected
