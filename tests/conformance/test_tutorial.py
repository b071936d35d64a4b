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
KEY = "bk_tutorial_key"


def shell_walkthrough() -> str:
    """The tutorial's one ```bash block."""
    blocks = re.findall(r"```bash\n(.*?)```", TUTORIAL.read_text(), flags=re.S)
    assert len(blocks) == 1
    return str(blocks[0])


def test_the_tutorial_reaches_a_routed_call_and_a_completed_one(tmp_path: Path) -> None:
    """Following only the tutorial: an inbound call reaches the agent, an outbound call completes."""
    assert shutil.which("curl"), "the tutorial needs curl (.ci/run installs it)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYOT_")}
    env["BYOT_API_KEYS"] = f"{KEY}=user_default"
    with running_server(f"sqlite:///{tmp_path / 'byot.sqlite3'}", env=env, cwd=tmp_path) as server:
        script = shell_walkthrough()
        script = script.replace("export BYOT=http://127.0.0.1:8000", f"export BYOT={server.url}")
        script = script.replace("export KEY=bn-the-key-it-printed", f"export KEY={KEY}")
        done = subprocess.run(  # noqa: S603 - the documentation's own script
            ["/bin/bash", "-euo", "pipefail", "-c", script],
            capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        )  # fmt: skip
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
