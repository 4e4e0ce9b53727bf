"""The run-folder lock against a real second process: refused with the holder's pid, released by the OS
when the holder is SIGKILLed (no stale lock), re-entrant within one process, and nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganvae.errors import FolderInUse
from ganvae.folder_lock import clear_folder, locked
from ganvae.run_folder import LOCK

SRC = Path(__file__).resolve().parents[2] / "src"
# a holder process that imports only the lock (no torch: it starts in a fraction of a second)
HOLDER = (
    "import sys, time\nfrom ganvae.folder_lock import locked\n"
    "with locked(sys.argv[1]):\n    time.sleep(120)\n"
)


def _holder(folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], env=env)
    deadline = time.time() + 60
    while not (folder / LOCK).is_file() or not (folder / LOCK).read_text().strip():
        assert proc.poll() is None and time.time() < deadline, "the holder never took the lock"
        time.sleep(0.02)
    return proc


def test_a_second_process_is_refused_with_the_holders_pid_and_a_killed_one_leaves_no_lock(tmp_path):
    folder = tmp_path / "run"
    proc = _holder(folder)
    try:
        assert (folder / LOCK).read_text().strip() == str(proc.pid)
        with pytest.raises(FolderInUse) as refused, locked(folder):
            pass
        assert str(refused.value) == (
            f"{folder} is in use by ganvae (pid {proc.pid}); wait for it or give another --out"
        )
        assert (folder / LOCK).read_text().strip() == str(proc.pid)  # the refused one changed nothing
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert (folder / LOCK).is_file()  # a killed holder leaves its file, but the OS dropped its lock
    with locked(folder):
        assert (folder / LOCK).read_text().strip() == str(os.getpid())
    assert not (folder / LOCK).exists()


def test_reentrant_in_one_process_and_a_created_folder_left_empty_is_removed(tmp_path):
    folder = tmp_path / "a" / "b"
    with locked(folder):
        with locked(folder):  # a comparison in this process training into its own folder
            assert (folder / LOCK).is_file()
        assert (folder / LOCK).is_file()  # still held by the outer block
    assert not (tmp_path / "a").exists()  # bad input leaves nothing behind
    with locked(folder):
        (folder / "config.json").write_text("{}")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]  # a folder with a run stays


def test_separate_folders_are_separate_locks(tmp_path):
    """A comparison's folder and its model folders: the parent holds one while a worker takes another."""
    comparison = tmp_path / "cmp"
    proc = _holder(comparison)
    try:
        with locked(comparison / "models" / "vae-seed0"):
            assert (comparison / "models" / "vae-seed0" / LOCK).is_file()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def test_clear_folder_keeps_the_lock(tmp_path):
    folder = tmp_path / "run"
    with locked(folder):
        (folder / "checkpoints" / "last").mkdir(parents=True)
        (folder / "log.jsonl").write_text("{}\n")
        clear_folder(folder)  # --overwrite: removing the folder would let another process lock a new one
        assert [p.name for p in folder.iterdir()] == [LOCK]
    assert not folder.exists()
