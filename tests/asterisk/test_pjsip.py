"""The PJSIP objects of a trunk, and the pjsip.conf they render to."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byot_core.adapters.asterisk import INBOUND_CONTEXT, REJECT_CONTEXT, PjsipObject, desired_objects, render_conf
from byot_core.adapters.memory import MemorySecretBox
from byot_core.domain.errors import ValidationFailed
from byot_core.domain.secret import Secret
from byot_core.domain.trunk import Trunk
from byot_core.domain.trunk_rules import build_trunk
from byot_core.guide import read_trunk_create
from byot_core.guide_api import GuideApi
from tests.strategies import trunk_bodies
from tests.support import IP_TRUNK, USERPASS_TRUNK, body

T0 = datetime(2025, 1, 15, tzinfo=UTC)


def trunk_of(payload: dict[str, Any]) -> tuple[Trunk, Secret | None]:
    draft = read_trunk_create(payload)
    counter = iter(range(1000))
    box = MemorySecretBox()
    sealed = box.seal(draft.auth_password) if draft.auth_password else None
    trunk = build_trunk(
        draft,
        trunk_id="01TRUNK",
        account_id="acct",
        new_id=lambda: f"id{next(counter)}",
        now=T0,
        sealed_password=sealed,
    )
    return trunk, draft.auth_password


def parse_conf(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Read pjsip.conf as Asterisk's parser would: sections, key=value at the first '=', ';' starts a comment."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for raw in text.split("\n"):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1], []))
            continue
        key, sep, value = line.partition("=")
        assert sep, f"a line that is neither a section nor key=value: {raw!r}"
        assert sections, "a key before any section"
        sections[-1][1].append((key.strip(), value.strip()))
    return sections


def intended(objects: list[PjsipObject]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(o.id, [("type", o.type), *o.fields]) for o in objects]


def test_userpass_trunk_objects() -> None:
    """A userpass trunk: auth, aor and endpoint per gateway, identify, and a registration for inbound calls."""
    trunk, password = trunk_of(USERPASS_TRUNK)
    objects = desired_objects(trunk, password)
    assert [(o.type, o.id) for o in objects] == [
        ("auth", "byot-01TRUNK-auth"),
        ("aor", "byot-01TRUNK-gw1"),
        ("endpoint", "byot-01TRUNK-gw1"),
        ("identify", "byot-01TRUNK-identify"),
        ("registration", "byot-01TRUNK-reg"),
    ]
    endpoint = objects[2]
    assert endpoint.value("outbound_auth") == "byot-01TRUNK-auth"
    assert endpoint.value("auth") == ""  # the carrier is not challenged (written empty: a PUT merges)
    assert (endpoint.value("direct_media"), endpoint.value("media_encryption")) == ("no", "no")
    assert [k for k, _ in endpoint.fields].index("disallow") < [k for k, _ in endpoint.fields].index("allow")
    assert endpoint.value("context") == INBOUND_CONTEXT
    assert objects[1].fields == (("contact", "sip:sip.zadarma.com:5060"), ("qualify_frequency", "60"))
    assert objects[4].value("client_uri") == "sip:bolnaTesting@sip.zadarma.com:5060"


def test_ip_based_trunk_and_gateway_order() -> None:
    """ip-based: no auth, no registration; gateways by priority; identify matches gateways and CIDRs; IPv6 bracketed."""
    gateways = [{"gateway_address": "2001:db8::5", "port": 5080, "priority": 2}, {"gateway_address": "10.0.0.1"}]
    trunk, password = trunk_of(body(IP_TRUNK, gateways=gateways, inbound_enabled=False))
    objects = desired_objects(trunk, password)
    assert [o.type for o in objects] == ["aor", "aor", "endpoint", "endpoint", "identify"]
    assert [o.value("contact") for o in objects[:2]] == ["sip:10.0.0.1:5060", "sip:[2001:db8::5]:5080"]
    assert objects[2].value("context") == REJECT_CONTEXT
    assert [v for k, v in objects[4].fields if k == "match"] == [
        "10.0.0.1",
        "2001:db8::5",
        "15.207.90.192/31",
        "204.89.151.128/27",
        "13.52.9.0/25",
    ]


def test_rendering_is_deterministic_and_parses_back() -> None:
    """The same trunk renders to the same text, which parses back to the intended sections."""
    trunk, password = trunk_of(USERPASS_TRUNK)
    text = render_conf(desired_objects(trunk, password), header=["generated"])
    assert text == render_conf(desired_objects(trunk, password), header=["generated"])
    assert parse_conf(text) == intended(desired_objects(trunk, password))


@pytest.mark.parametrize("value", ["pass;word", "pass\nword", "pass\rword", " padded", "x\x00"])
def test_renderer_refuses_what_would_bend_the_file(value: str) -> None:
    """A value that slipped past validation is refused at rendering, never written."""
    with pytest.raises(ValueError, match="refusing to render"):
        render_conf([PjsipObject("auth", "byot-x-auth", (("password", value),))])


@given(trunk_bodies(), st.text(max_size=24), st.text(max_size=24))
def test_any_accepted_trunk_renders_exactly_what_is_intended(
    payload: dict[str, Any], username: str, password: str
) -> None:
    """Whatever the write path accepts, even arbitrary credentials, renders to exactly the intended sections and keys.

    No accepted value can start a comment, a section or a line.
    """
    if payload["auth_type"] == "userpass":
        payload = body(payload, auth_username=username, auth_password=password)
    try:
        trunk, secret = trunk_of(payload)
    except ValidationFailed:
        return
    objects = desired_objects(trunk, secret)
    assert parse_conf(render_conf(objects, header=[f"trunk {trunk.id}"])) == intended(objects)
    for obj in objects:
        client_uri = obj.value("client_uri")
        if client_uri is not None:
            user = client_uri.removeprefix("sip:").rpartition("@")[0]
            assert USER_PART.fullmatch(user), client_uri
            assert unquote(user) == trunk.auth_username


USER_PART = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()&=+$/]|%[0-9A-F]{2})+")


@pytest.mark.parametrize(
    ("username", "user_part"),
    [
        ("a b", "a%20b"), ("a@b", "a%40b"), ("a:b", "a%3Ab"), ("a<b>", "a%3Cb%3E"), ("a#b", "a%23b"),
        ('a"b', "a%22b"), ("été", "%C3%A9t%C3%A9"), ("100%", "100%25"), ("a+b=c&d", "a+b=c&d"),
    ],
)  # fmt: skip
def test_the_client_uri_carries_the_username_escaped_as_rfc_3261_says(username: str, user_part: str) -> None:
    """In the registration's URI the name is escaped; the auth object keeps it as the carrier gave it."""
    trunk, secret = trunk_of(body(USERPASS_TRUNK, auth_username=username))
    objects = {o.type: o for o in desired_objects(trunk, secret)}
    assert objects["registration"].value("client_uri") == f"sip:{user_part}@sip.zadarma.com:5060"
    assert objects["auth"].value("username") == username
    assert parse_conf(render_conf(list(objects.values())))


def test_a_trunk_that_cannot_be_rendered_is_skipped_and_reported(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stored value the renderer refuses (written before today's limits) costs that trunk only; exit 1."""
    import asyncio
    import os

    import attrs

    import byot_core
    from byot_core.adapters.fernet_secrets import FernetSecretBox, new_key
    from byot_core.adapters.sql import SqlStorage
    from byot_core.cli import main

    url = f"sqlite:///{tmp_path / 'render.sqlite3'}"
    key = new_key()

    async def prepare() -> tuple[str, str]:
        storage = await SqlStorage.open(url, upgrade_schema=True)
        app = byot_core.build(storage=storage, secrets=FernetSecretBox([key]))
        good = (await GuideApi(app).trunks.create("acct", USERPASS_TRUNK)).trunk.id
        bad = (await GuideApi(app).trunks.create("acct", IP_TRUNK)).trunk
        long_allow = attrs.evolve(bad.settings, allow=",".join(["ulaw"] * 300))
        async with storage.unit_of_work() as uow:
            await uow.trunks.update(attrs.evolve(bad, settings=long_allow))
            await uow.commit()
        await storage.close()
        return good, bad.id

    good, bad = asyncio.run(prepare())
    os.environ["BYOT_SECRET_KEYS"] = key
    try:
        assert main(["pjsip", "render", "--database-url", url]) == 1
    finally:
        del os.environ["BYOT_SECRET_KEYS"]
    captured = capsys.readouterr()
    assert f"[byot-{good}-gw1]" in captured.out
    assert bad not in captured.out
    assert f"trunk {bad} skipped" in captured.err


def test_render_command_prints_the_active_trunks(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """`byot pjsip render` prints every active trunk's sections, passwords redacted unless --show-secrets."""
    import asyncio
    import os

    import byot_core
    from byot_core.adapters.fernet_secrets import FernetSecretBox, new_key
    from byot_core.adapters.sql import SqlStorage
    from byot_core.cli import main

    url = f"sqlite:///{tmp_path / 'render.sqlite3'}"
    key = new_key()

    async def prepare() -> tuple[str, str]:
        storage = await SqlStorage.open(url, upgrade_schema=True)
        app = byot_core.build(storage=storage, secrets=FernetSecretBox([key]))
        active = (await GuideApi(app).trunks.create("acct", USERPASS_TRUNK)).trunk.id
        inactive = (await GuideApi(app).trunks.create("acct", IP_TRUNK)).trunk.id
        await GuideApi(app).trunks.update("acct", inactive, {"is_active": False})
        await storage.close()
        return active, inactive

    active, inactive = asyncio.run(prepare())
    os.environ["BYOT_SECRET_KEYS"] = key
    try:
        assert main(["pjsip", "render", "--database-url", url]) == 0
        out = capsys.readouterr().out
        assert f"[byot-{active}-gw1]" in out
        assert "SuperSecurePassword123" not in out
        assert "password=(redacted)" in out
        assert "byot pjsip render --show-secrets prints it" in out
        assert inactive not in out
        assert parse_conf(out)
        # A plain file path names the SQLite file too.
        assert main(["pjsip", "render", "--show-secrets", "--database-url", str(tmp_path / "render.sqlite3")]) == 0
        out = capsys.readouterr().out
        assert "password=SuperSecurePassword123" in out
        assert parse_conf(out)
        assert main(["pjsip", "render", "--database-url", url, "--trunk", inactive]) == 1
    finally:
        del os.environ["BYOT_SECRET_KEYS"]
