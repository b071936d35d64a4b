"""A fake Asterisk in a process of its own, for measurements where it must not share the library's CPU or loop."""

from __future__ import annotations

import subprocess
import sys

from byot_core.testing.live_server import free_port

__all__ = ["FakeAsteriskProcess"]


class FakeAsteriskProcess:
    """``python -m byot_core.testing.fake_asterisk`` on a port of its own, which a restarted one takes again."""

    def __init__(self, user: str, password: str, *, latency_ms: float = 0.0, play: str = "answer-then-bye") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.user = user
        self.password = password
        self.latency_ms = latency_ms
        self.play = play
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start the process and wait until it listens."""
        command = [sys.executable, "-m", "byot_core.testing.fake_asterisk", "--port", str(self.port), "--user",
                   self.user, "--password", self.password, "--play", self.play,
                   "--latency-ms", str(self.latency_ms)]  # fmt: skip
        # This interpreter running this package: nothing in the command comes from outside.
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        assert self.process.stdout is not None
        self.process.stdout.readline()  # printed once it listens

    def kill(self) -> None:
        """End the process at once, as a crash or a restart does: everything pushed into it is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def __enter__(self) -> FakeAsteriskProcess:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.kill()
