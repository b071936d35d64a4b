"""The `byot` command and the guide's JSON shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from byot_core.adapters.guide_json import execution_json, number_json, trunk_json, trunk_summary_json
from byot_core.cli import main
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, USERPASS_TRUNK, World

# The fields of the guide's "Complete Trunk Object" and "Complete Phone Number Object".
GUIDE_TRUNK_FIELDS = {
    "id", "user_id", "name", "provider", "description", "auth_type", "auth_username", "gateways", "ip_identifiers",
    "phone_numbers", "allow", "disallow", "transport", "direct_media", "rtp_symmetric", "force_rport", "ice_support",
    "qualify_frequency", "inbound_enabled", "outbound_leading_plus_enabled", "is_active", "created_at", "updated_at",
}  # fmt: skip
GUIDE_NUMBER_FIELDS = {
    "id", "phone_number", "user_id", "byot_trunk_id", "telephony_provider", "agent_id", "deleted", "created_at",
    "updated_at",
}  # fmt: skip


async def test_trunk_and_number_json_carry_the_guides_fields(world: World) -> None:
    """Trunk and number objects have every field of the guide's tables, never a password."""
    details = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    number = await GuideApi(world.app).numbers.add(ACCOUNT, details.trunk.id, {"phone_number": "919876543210"})
    trunk = trunk_json(details)
    assert trunk.keys() >= GUIDE_TRUNK_FIELDS
    assert "auth_password" not in trunk
    assert "SuperSecurePassword123" not in repr(trunk)
    assert set(trunk["gateways"][0]) >= {"id", "gateway_address", "port", "priority", "created_at"}
    assert trunk["created_at"] == "2025-01-15T10:00:00Z"
    assert number_json(number).keys() >= GUIDE_NUMBER_FIELDS
    assert number_json(number)["telephony_provider"] == "sip-trunk"
    (summary,) = await world.app.trunks.list(ACCOUNT)
    assert trunk_summary_json(summary)["phone_numbers_count"] == 1


async def test_execution_json_names_status_and_reason(world: World) -> None:
    """Executions show the guide's status string and hangup reason."""
    details = await GuideApi(world.app).trunks.create(ACCOUNT, USERPASS_TRUNK)
    await GuideApi(world.app).numbers.add(ACCOUNT, details.trunk.id, {"phone_number": "919876543210"})
    world.balance.allowed = False
    call = {"agent_id": "agt-11111111-1111-1111-1111-111111111111", "recipient": {"phone_number": "+15550001234"},
            "from_number": "919876543210"}  # fmt: skip
    shown = execution_json(await GuideApi(world.app).calls.place(ACCOUNT, call))
    assert (shown["status"], shown["direction"], shown["hangup_reason"]) == ("balance-low", "outbound", None)


def test_demo_runs_the_guides_flow(capsys: pytest.CaptureFixture[str]) -> None:
    """`byot demo` exits 0 and shows each step's answer, ending with a completed outbound call."""
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert '"message": "SIP trunk number successfully mapped to agent"' in out
    assert out.count('"status": "completed"') == 2
    assert "SuperSecurePassword123" not in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command, or a bad option value, is a usage error (exit code 2) with help on stderr."""
    assert main(["nope"]) == 2
    assert main(["serve", "--port", "70000"]) == 2
    assert "Usage" in capsys.readouterr().err


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` works for each command and says what it does."""
    commands = (["serve"], ["demo"], ["db", "upgrade"], ["keygen"], ["reconcile"], ["pjsip", "render"])
    for command in (*commands, ["asterisk", "dialplan"], ["demo-agent"]):
        assert main([*command, "--help"]) == 0
        assert "Usage: byot" in capsys.readouterr().out
    for command in (["serve"], ["reconcile"]):
        assert main([*command, "--help"]) == 0
        shown = capsys.readouterr().out
        assert "--ari-url" in shown
        assert "BYOT_ARI_PASSWORD" in shown
        assert "--ari-password" not in shown  # a password on a command line would show in process lists


def test_keygen_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    """`byot keygen` prints a key that a secret box accepts."""
    from byot_core.adapters.fernet_secrets import FernetSecretBox
    from byot_core.domain.secret import Secret

    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    box = FernetSecretBox([key])
    assert box.open(box.seal(Secret("x"))).reveal() == "x"


def test_asterisk_dialplan_prints_what_the_fake_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """`byot asterisk dialplan`: the documented contexts for one application, a fallback chain for several."""
    from byot_core.testing.fake_asterisk.dialplan import DEFAULT_DIALPLAN, Dialplan, Entered

    assert main(["asterisk", "dialplan"]) == 0
    single = capsys.readouterr().out
    strip = [line for line in single.splitlines() if line and not line.startswith(";")]
    assert strip == [line for line in DEFAULT_DIALPLAN.splitlines() if line]
    page = (Path(__file__).parents[1] / "docs" / "asterisk.md").read_text(encoding="utf-8")
    documented = "[byot-inbound]" + page.split("[byot-inbound]", 1)[1].split("```")[0]
    assert strip == [line for line in documented.splitlines() if line]  # what the docs show
    assert main(["asterisk", "dialplan", "--apps", "byot-a,byot-b,byot-c", "--rotate", "2"]) == 0
    plan = Dialplan(capsys.readouterr().out)
    assert plan.run("byot-inbound", "+15550001234", {"byot-a", "byot-b"}.__contains__) == Entered(
        "byot-a", ("+15550001234",)
    )
    assert main(["asterisk", "dialplan", "--apps", "byot-a,byot-a"]) == 1
    assert "each application may be named once" in capsys.readouterr().err


def test_a_plain_path_names_an_sqlite_file_and_an_unreadable_url_is_one_line(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`BYOT_DATABASE_URL=./byot.sqlite3` works as the README's default does; a malformed URL says what is accepted."""
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("BYOT_DATABASE_URL", "./byot.sqlite3")
    assert main(["db", "upgrade"]) == 0
    assert "upgraded" in capsys.readouterr().out
    assert (tmp_path / "byot.sqlite3").exists()  # type: ignore[operator]
    monkeypatch.setenv("BYOT_DATABASE_URL", "postgresql://user:hunter2@host:notaport/db")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "byot: ValueError: the database URL cannot be read: use a file path, sqlite:///path or postgresql://…"
    )
    assert "hunter2" not in err
