"""A real ``byot serve`` in a subprocess on a free loopback port, for end-to-end tests and load runs."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import attrs

__all__ = ["LiveServer", "free_port", "running_server"]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@attrs.define
class LiveServer:
    """A running server: its base URL, and (once stopped) everything it printed."""

    url: str
    process: subprocess.Popen[str]
    output: str = ""


class _Drained:
    """Everything a process prints, read as it comes by a thread of its own.

    A pipe holds about 64 KB: a process that printed more while nobody read would block on its next write.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._chunks: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:  # closed once the process has ended and everything is read
            for line in stream:
                self._chunks.append(line)

    def text(self, *, timeout: float = 5) -> str:
        """What was printed, once the process has ended (the stream then closes; ``timeout`` bounds the wait)."""
        self._thread.join(timeout)
        return "".join(self._chunks)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/openapi.json", timeout=1) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_server(
    database_url: str, *, env: Mapping[str, str], cwd: Path | None = None, start_timeout: float = 30
) -> Iterator[LiveServer]:
    """Run ``byot serve`` on ``database_url`` with exactly the environment ``env``; stop it on leaving."""
    port = free_port()
    command = [sys.executable, "-m", "byot_core.cli", "serve", "--port", str(port), "--database-url", database_url]
    # The command is this interpreter running this package's CLI: nothing in it comes from outside.
    process = subprocess.Popen(  # noqa: S603
        command, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None  # asked for above
    printed = _Drained(process.stdout)
    server = LiveServer(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + start_timeout
        while not _ready(server.url):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait(timeout=30)
                raise RuntimeError(f"byot serve did not start: {printed.text()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        server.output = printed.text()
