"""The live-server helper reads what its process prints as it comes."""

from __future__ import annotations

import subprocess
import sys

from byot_core.testing.live_server import _Drained


def test_a_process_printing_more_than_a_pipe_holds_is_not_held_up() -> None:
    """300 KB printed at once: read as it comes, the process ends (unread, it would block at a pipe's 64 KB)."""
    script = "import sys; sys.stdout.write('x' * 300_000); sys.stdout.flush(); print('done')"
    # This interpreter running a fixed script: nothing in the command comes from outside.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    printed = _Drained(process.stdout)
    assert process.wait(timeout=20) == 0
    output = printed.text()
    assert len(output) == 300_005
    assert output.endswith("x" * 10 + "done\n")
