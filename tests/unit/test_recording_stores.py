"""The recording stores: a recording is kept whole or not at all, by execution id, and nowhere else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from byot_core.adapters.recording_stores import FolderRecordingStore, MemoryRecordingStore
from byot_core.audio import read_wav, tone, wav
from byot_core.runtime import DEFAULT_RECORDINGS_DIR, Settings


async def test_a_folder_keeps_each_recording_as_a_wav_file_readable_back(tmp_path: Path) -> None:
    """Put then get gives the same bytes; the file is `<id>.wav` in a folder only its owner may read."""
    store = FolderRecordingStore(tmp_path / "recordings")
    assert await store.get("01HXYZ") is None
    data = wav(tone(440, 0.5))
    await store.put("01HXYZ", data)
    assert await store.get("01HXYZ") == data
    assert sorted(p.name for p in (tmp_path / "recordings").iterdir()) == ["01HXYZ.wav"]
    assert os.stat(tmp_path / "recordings").st_mode & 0o777 == 0o700
    await store.put("01HXYZ", wav(tone(440, 0.2)))  # replaced whole
    assert read_wav(await store.get("01HXYZ") or b"")[1] == pytest.approx(0.2)


async def test_a_folder_refuses_names_that_are_not_execution_ids(tmp_path: Path) -> None:
    """No path is built from something that is not an id: nothing is written outside the folder."""
    store = FolderRecordingStore(tmp_path / "recordings")
    with pytest.raises(ValueError, match="not an execution id"):
        await store.put("../escape", b"x")
    assert await store.get("../escape") is None
    assert not (tmp_path / "escape.wav").exists()


async def test_a_failed_write_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails half-way leaves neither the recording nor a temporary file."""
    store = FolderRecordingStore(tmp_path)

    def broken(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        await store.put("01HXYZ", b"RIFF....")
    assert os.listdir(tmp_path) == []


async def test_memory_keeps_recordings_by_id() -> None:
    """The in-memory stand-in answers as the folder does."""
    store = MemoryRecordingStore()
    await store.put("a", b"1")
    assert (await store.get("a"), await store.get("b")) == (b"1", None)


def test_the_reference_server_keeps_recordings_where_the_environment_says() -> None:
    """`BYOT_RECORDINGS_DIR`, else `byot-recordings` in the current folder."""
    assert Settings.from_env({}).recordings_dir == DEFAULT_RECORDINGS_DIR == "byot-recordings"
    assert Settings.from_env({"BYOT_RECORDINGS_DIR": "/var/lib/byot/rec"}).recordings_dir == "/var/lib/byot/rec"
