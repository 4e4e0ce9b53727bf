"""Operating ganvae (issue 18, items 1-2): run folders are locked against a second process, and an output
that cannot be written, a late OS error or an allocation that cannot fit is one line and exit code 2,
found before any work, with nothing written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer

from ganvae import host_memory
from ganvae.cli_common import _command
from ganvae.run_folder import LOCK

from .helpers import run, subprocess_env

FAST = ["--set", "width=8", "--set", "latent_dim=8", "-q"]
HOLDER = (
    "import sys, time\nfrom ganvae.folder_lock import locked\n"
    "with locked(sys.argv[1]):\n    time.sleep(120)\n"
)
# a second `ganvae` process, imported before the first takes its lock so that it tries within a second
SECOND = (
    # everything `train` imports is loaded before the wait: the second process then tries at once (under
    # load, importing torch after the wait took longer than the first run's budget)
    "import sys, time\nfrom pathlib import Path\nfrom ganvae.cli import main\n"
    "import torch, ganvae.training.run, ganvae.data, ganvae.models\n"
    "log = Path(sys.argv[1]) / 'log.jsonl'\n"
    "while not (log.is_file() and log.read_text().strip()):\n    time.sleep(0.05)\n"
    "main(sys.argv[2:])\n"
)


def _wait_for_lock(folder: Path, proc: subprocess.Popen) -> None:
    deadline = time.time() + 180
    while not ((folder / LOCK).is_file() and (folder / LOCK).read_text().strip()):
        assert proc.poll() is None and time.time() < deadline, "the first process never locked its folder"
        time.sleep(0.05)


def _one_line(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


# ---- locked run folders ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_train_into_a_folder_in_use_exits_2_and_touches_nothing(tmp_path):
    """Two real `ganvae train` processes into one --out: the second exits 2 naming the first's pid, the
    first finishes normally with its own settings and an unmixed log."""
    out = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, "-m", "ganvae.cli", "train", "vae", "--out", str(out), "--budget", "12s", *FAST],
        env=subprocess_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    second = subprocess.run(
        [sys.executable, "-c", SECOND, str(out), "train", "vae", "--out", str(out), "--steps", "3",
         "--seed", "7", *FAST],
        env=subprocess_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert first.poll() is None, "the first run ended before the second tried: raise its --budget"
    assert (out / LOCK).read_text().strip() == str(first.pid)
    _one_line(second.returncode, second.stderr)
    assert second.stderr == (
        f"error: {out} is in use by ganvae (pid {first.pid}); wait for it or give another --out\n"
    )
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    meta = json.loads((out / "config.json").read_text())
    assert meta["train"]["seed"] == 0 and meta["train"]["budget_s"] == 12.0 and meta["train"]["steps"] is None
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and steps[-1] == meta["result"]["step"] > 3  # no second run's 1, 2, 3
    assert not (out / LOCK).exists()  # released on the way out


@pytest.mark.slow
def test_a_sigkilled_run_leaves_no_stale_lock(tmp_path, capsys):
    out = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, "-m", "ganvae.cli", "train", "vae", "--out", str(out), "--steps", "100000", *FAST],
        env=subprocess_env(),
    )
    _wait_for_lock(out, first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert (out / LOCK).read_text().strip() == str(first.pid)  # its file stays; the OS dropped its lock
    code, _, err = run(["train", "vae", "--out", out, "--steps", "2", "--overwrite", *FAST], capsys)
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["result"]["step"] == 2
    assert not (out / LOCK).exists()


@pytest.mark.parametrize(
    "command",
    [
        ["compare", "--steps", "2", "--seeds", "1"],
        ["task", "anomaly", "--steps", "2"],
        ["train", "vae", "--steps", "2"],
    ],
)
def test_compare_task_and_train_refuse_a_folder_another_process_holds(command, tmp_path, capsys):
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], env=subprocess_env())
    try:
        _wait_for_lock(out, holder)
        code, _, err = run([*command, "--out", out, *FAST[-1:]], capsys)
        _one_line(code, err)
        assert f"{out} is in use by ganvae (pid {holder.pid}); wait for it or give another --out" in err
        assert [p.name for p in out.iterdir()] == [LOCK]  # nothing written, the holder's pid kept
        assert (out / LOCK).read_text().strip() == str(holder.pid)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)


# ---- outputs that cannot be written ----------------------------------------------------------------------


def _os_cases(tmp: Path) -> dict[str, tuple[list, str]]:
    (tmp / "afile").write_text("not a folder")
    (tmp / "adir").mkdir()
    f, d, nothing = tmp / "afile", tmp / "adir", tmp / "no-run"
    proc = "the OS refuses to create anything in /proc (No such file or directory); give another --out"
    return {
        "train --out file": (
            ["train", "vae", "--out", f, "--steps", "2"],
            f"--out {f} is a file, not a folder",
        ),
        "compare --out file": (["compare", "--out", f, "--steps", "2"], f"--out {f} is a file, not a folder"),
        "task --out file": (["task", "denoise", "--out", f, "--steps", "2"], f"--out {f} is a file"),
        "train --out under a file": (["train", "vae", "--out", f / "run"], f"{f} is a file, not a folder"),
        "train --out /proc": (["train", "vae", "--out", "/proc/ganvae-test", "--steps", "2"], proc),
        "compare --out /proc": (["compare", "--out", "/proc/ganvae-test", "--steps", "2"], proc),
        "sample --out folder": (["sample", nothing, "--out", d], f"--out {d} is a folder; give a file name"),
        "sample --out /proc": (["sample", nothing, "--out", "/proc/ganvae.png"], proc),
        "synthesize --out folder": (["synthesize", nothing, "--out", d], f"e.g. {d / 'synthetic.csv'}"),
        "synthesize --out /proc": (["synthesize", nothing, "--out", "/proc/x.csv"], proc),
        "generate --out folder": (
            ["generate", nothing, "--prompt", "3", "--out", d],
            f"--out {d} is a folder",
        ),
        "score --out folder": (["score", nothing, "--data", "digits", "--out", d], f"--out {d} is a folder"),
        "morph --out /proc": (["morph", nothing, f, f, "--out", "/proc/m.gif"], proc),
    }


OS_CASES = [
    "train --out file", "compare --out file", "task --out file", "train --out under a file",
    "train --out /proc", "compare --out /proc", "sample --out folder", "sample --out /proc",
    "synthesize --out folder", "synthesize --out /proc", "generate --out folder", "score --out folder",
    "morph --out /proc",
]  # fmt: skip


@pytest.mark.parametrize("case", OS_CASES)
def test_an_output_that_cannot_be_written_is_one_line_before_any_work(case, tmp_path, capsys):
    if "/proc" in case and not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    args, needle = _os_cases(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run([*args, "-q"] if args[0] in ("train", "compare", "task") else args, capsys)
    _one_line(code, err)
    assert needle in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written or created


def test_a_read_only_folder_is_found_before_the_data_loads(tmp_path, capsys, monkeypatch):
    """Tests may run as root, for whom a chmod 0555 folder is writable: the permission bits are read
    through os.access, patched here to answer as for an ordinary user."""
    loaded = []
    monkeypatch.setattr("ganvae.data.load_images", lambda *a, **k: loaded.append(a))
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK and real(path, mode))
    for args in (
        ["train", "vae", "--out", tmp_path / "ro" / "run", "-q"],
        ["sample", tmp_path, "--out", "g.png"],
    ):
        code, _, err = run(args, capsys)
        _one_line(code, err)
        assert "is read-only (permission denied); give another --out" in err
    assert not loaded and not (tmp_path / "ro").exists()


def test_image_size_that_cannot_fit_in_memory_is_refused_with_the_estimate(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(host_memory, "available_bytes", lambda: 16e9)
    out = tmp_path / "run"
    code, _, err = run(["train", "vae", "--out", out, "--image-size", "2048", "--steps", "2"], capsys)
    _one_line(code, err)
    assert "digits (1,797 images x 1 x 2048 x 2048 float32) needs about 30.1 GB of memory" in err
    assert "more than the 16.0 GB available here; use a smaller --image-size" in err
    assert not out.exists()


# ---- what escapes a command: the wrapper -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (
            OSError(28, "No space left on device", "/runs/x/log.jsonl"),
            "error: /runs/x/log.jsonl: No space left on device; check the path, its permissions and the "
            "free disk space\n",
        ),
        (
            PermissionError(13, "Permission denied", "/a", None, "/b"),  # (..., winerror, filename2)
            "error: /a -> /b: Permission denied; check the path, its permissions and the free disk space\n",
        ),
        (
            RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
                         "you tried to allocate 30150754304 bytes. Error code 12"),
            "error: out of memory ([enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate "
            "memory: you tried to allocate 30150754304 bytes. Error code 12); use a smaller --image-size, "
            "--batch-size or model\n",
        ),
        (MemoryError(), "error: out of memory (an allocation failed); use a smaller --image-size, "
         "--batch-size or model\n"),
    ],
)  # fmt: skip
def test_a_late_os_error_or_failed_allocation_is_one_line_exit_2(exc, line, capsys):
    def fails() -> None:
        raise exc

    with pytest.raises(typer.Exit) as exit_info:
        _command(fails)()
    assert exit_info.value.exit_code == 2 and capsys.readouterr().err == line


def test_other_runtime_errors_still_raise():
    def fails() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        _command(fails)()
