"""Hostile bodies on every operation that takes one: always a 400 with the usual body, never a 500."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from byot_core.adapters.http.body import MAX_DEPTH, _check, _plainly_safe
from byot_core.adapters.http.errors import ApiError
from byot_core.adapters.http.operations import OPERATIONS, Operation
from byot_core.testing import running_server
from tests.http.conftest import KEY, Api

WITH_BODY = [op for op in OPERATIONS if op.body is not None]
HOSTILE = {
    "nested 10,000 deep": ("[" * 10_000 + "]" * 10_000).encode(),
    "an integer of 5,000 digits": b'{"name": ' + b"7" * 5000 + b"}",
    "a lone surrogate escape": b'{"name": "\\ud800", "agent_id": "\\udfff", "phone_number": "\\ud83d"}',
    "a lone surrogate as a key": b'{"\\ud800": 1}',
    "nested 40 objects deep": b'{"a": ' * 40 + b"1" + b"}" * 40,
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "a surrogate in raw UTF-8": b'{"name": "\xed\xa0\x80"}',
    "a surrogate in UTF-16": '{"name": "x"}'.encode("utf-16-le").replace(b"x\x00", b"\x00\xd8"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("op", WITH_BODY, ids=lambda op: f"{op.method} {op.path}")
async def test_every_hostile_body_is_a_400(api: Api, op: Operation, kind: str) -> None:
    """Deep nesting, huge integers, lone surrogates, bad UTF-8: 400 with ``detail`` and ``code``."""
    path = op.path.format(**{p: "01HQXYZ123ABC456DEF" for p in op.path_params})
    response = await api.call(op.method, path, content=HOSTILE[kind], headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"detail", "code"}
    assert response.json()["code"] in {"malformed_json", "invalid_text"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=60,
)


@given(json_values, st.booleans())
def test_a_body_let_through_by_its_bytes_passes_the_walk_too(value: object, ascii_only: bool) -> None:
    """The raw-bytes shortcut never lets through what the walk over the decoded body would refuse."""
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    if _plainly_safe(raw):
        _check(json.loads(raw))  # raises ApiError if the shortcut was wrong


@given(st.integers(MAX_DEPTH + 1, MAX_DEPTH + 5))
def test_nesting_past_the_limit_is_never_let_through(depth: int) -> None:
    """A body nested past the limit has more brackets than the limit, so it always takes the walk."""
    raw = (b"[" * depth) + (b"]" * depth)
    assert not _plainly_safe(raw)
    with pytest.raises(ApiError):
        _check(json.loads(raw))


@pytest.mark.slow
def test_a_refused_body_leaves_the_connection_usable(tmp_path: Path) -> None:
    """On a real server, each hostile body answers 400 and the same keep-alive connection serves the next request."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")} | {"BYOT_API_KEYS": f"{KEY}=acct"}
    with (
        running_server(f"sqlite:///{tmp_path / 'byot.sqlite3'}", env=env, cwd=tmp_path) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as client,
    ):
        for content in HOSTILE.values():
            refused = client.post("/sip-trunks/trunks", content=content, headers={"Content-Type": "application/json"})
            assert refused.status_code == 400
            assert refused.headers.get("connection") != "close"
            assert client.get("/sip-trunks/trunks").status_code == 200
    assert "Traceback" not in server.output


NOT_FOUND = {
    "trunk_id": {"detail": "SIP trunk not found", "code": "trunk_not_found"},
    "phone_number_id": {"detail": "Phone number doesn't exist.", "code": "phone_number_not_found"},
    "execution_id": {"detail": "Execution not found", "code": "execution_not_found"},
    "agent_id": {"detail": "Agent not found", "code": "agent_not_found"},
}
WITH_IDS = [op for op in OPERATIONS if op.path_params]
# Bodies that pass reading, so that only the id decides the answer.
VALID_BODIES: dict[str, object] = {
    "TrunkUpdate": {"description": "x"},
    "PhoneNumberCreate": {"phone_number": "+919876543210"},
    "AgentWrite": {"agent_config": {"agent_name": "x"}},
}


@pytest.mark.parametrize("bad", ["%00", "a%00b", "%01", "x" * 129, "%C3%A9t%C3%A9", "a%20b"])
@pytest.mark.parametrize("op", WITH_IDS, ids=lambda op: f"{op.method} {op.path}")
async def test_an_id_that_cannot_exist_is_404_like_a_missing_one(api: Api, op: Operation, bad: str) -> None:
    """A NUL, a control character, non-ASCII or an over-long id: the missing object's own 404, on every database."""
    params = {p: "01HQXYZ123ABC456DEF" for p in op.path_params}
    params[op.path_params[-1]] = bad
    response = await api.call(op.method, op.path.format(**params), json=VALID_BODIES.get(op.body or ""))
    assert response.status_code == 404, response.text
    if op.path != "/{agent_id}":
        assert response.json() == NOT_FOUND[op.path_params[-1]]
