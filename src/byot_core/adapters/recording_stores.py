"""Where calls' recordings are kept: in memory (tests, demos), or as WAV files in a folder on disk.

The reference server keeps them in a folder (``BYOT_RECORDINGS_DIR``); an embedder may pass any
:class:`~byot_core.ports.recordings.RecordingStore` of its own (object storage, say) to ``build()``.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

__all__ = ["FolderRecordingStore", "MemoryRecordingStore"]

# Execution ids are the library's own (ULIDs); anything else is refused rather than turned into a path.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class MemoryRecordingStore:
    """Recordings in this process's memory (lost at exit)."""

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}

    async def put(self, execution_id: str, data: bytes) -> None:
        """Keep the recording."""
        self._kept[execution_id] = bytes(data)

    async def get(self, execution_id: str) -> bytes | None:
        """The recording, or ``None``."""
        return self._kept.get(execution_id)


class FolderRecordingStore:
    """Recordings as ``<execution id>.wav`` files in a folder (made on first use, mode 0700).

    A file is written beside its final name and renamed into place, so a reader never sees half of one, and a
    crash leaves at most a temporary file behind.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FolderRecordingStore({str(self.folder)!r})"

    def _path(self, execution_id: str) -> Path:
        if _SAFE_ID.fullmatch(execution_id) is None:
            raise ValueError("not an execution id")
        return self.folder / f"{execution_id}.wav"

    async def put(self, execution_id: str, data: bytes) -> None:
        """Write the recording whole (in a thread: file I/O would hold up every call's events)."""
        path = self._path(execution_id)
        await asyncio.to_thread(self._write, path, bytes(data))

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".partial-", suffix=".wav")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, execution_id: str) -> bytes | None:
        """The recording, or ``None`` when there is none."""
        try:
            path = self._path(execution_id)
        except ValueError:
            return None
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
