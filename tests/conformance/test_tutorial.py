"""The tutorial's shell walk-through, run as written against a live ``byot serve`` on the fake telephony."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from byot_core.testing import running_server

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
README = Path(__file__).resolve().parents[2] / "README.md"
KEY = "bk_tutorial_key"


def shell_walkthrough() -> str:
    """The tutorial's one ```bash block."""
    blocks = re.findall(r"```bash\n(.*?)```", TUTORIAL.read_text(), flags=re.S)
    assert len(blocks) == 1
    return str(blocks[0])


def readme_curl_example() -> str:
    """The README's curl example: the trunk a new user makes first."""
    return str(re.findall(r"```sh\n(curl .*?)```", README.read_text(), flags=re.S)[0])


def run_script(script: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A documentation script run as a reader would, with the server's address and key filled in."""
    script = script.replace("export BYOT=http://127.0.0.1:8000", f"export BYOT={url}")
    script = script.replace("export KEY=bn-the-key-it-printed", f"export KEY={KEY}")
    script = script.replace("http://127.0.0.1:8000", url).replace("<the printed key>", KEY)
    return subprocess.run(  # noqa: S603 - the documentation's own script
        ["/bin/bash", "-c", script], capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )


def test_the_tutorial_reaches_a_routed_call_and_a_completed_one(tmp_path: Path) -> None:
    """After the README's example, the tutorial routes a call and completes one; run again, it stops at its first error.

    The second run shows the server's answer and no traceback.
    """
    assert shutil.which("curl"), "the tutorial needs curl (.ci/run installs it)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    env["BYOT_API_KEYS"] = f"{KEY}=user_default"
    with running_server(f"sqlite:///{tmp_path / 'byot.sqlite3'}", env=env, cwd=tmp_path) as server:
        first = run_script(readme_curl_example(), server.url, tmp_path)
        assert json.loads(first.stdout)["name"] == "Zadarma Production", first.stdout
        done = run_script(shell_walkthrough(), server.url, tmp_path)
        again = run_script(shell_walkthrough(), server.url, tmp_path)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert answers[0]["agent_config"]["telephony_provider"] == "sip-trunk"
    assert answers[1] == {"message": "SIP trunk number successfully mapped to agent"}
    assert "channel_id" in answers[2]
    outbound = answers[3]
    assert (outbound["status"], outbound["direction"]) == ("completed", "outbound")
    history = answers[4]
    assert [(e["direction"], e["status"]) for e in history] == [("outbound", "completed"), ("inbound", "in-progress")]
    limited = answers[5]
    assert (limited["channels"], limited["calls_per_second"], limited["ring_timeout_seconds"]) == (10, 2, 30)
    assert limited["default_inbound_agent_id"] == answers[0]["id"]
    assert again.returncode != 0
    assert "Traceback" not in again.stderr
    assert "no id in {'detail':" in again.stderr  # the trunk's name is taken now: the 409's answer, shown
    assert "mapped to agent" not in again.stdout  # nothing after the failed step ran
