"""SIGTERM and SIGINT outside the training loop, in real `ganvae compare` processes: one line on stderr,
exit code 143 / 130, the folder's lock released, nothing half-written, `--jobs` workers stopped with the
parent, and `--resume` finishing the comparison with the finished runs kept (`ganvae.stopping`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import subprocess_env

# dcgan evaluates for a few seconds (its test images are inverted by 300 optimisation steps), so that a
# signal sent when it starts arrives while it evaluates; vae comes first and is finished by then
BASE = [
    "compare",
    "--data",
    "digits",
    "--models",
    "vae,dcgan",
    "--seeds",
    "1",
    "--steps",
    "10",
    "--samples",
    "200",
    "--recon-images",
    "40",
    "--batch-size",
    "32",
    "--set",
    "inversion_steps=300",
    "--set",
    "width=16",
]
EVALUATING = "dcgan seed 0: evaluating 2/3"


def _start(args: list[str], **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ganvae", *args],
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _wait_for(proc: subprocess.Popen, text: str, timeout: float = 120) -> list[str]:
    """stderr's lines up to and with the first that holds `text`."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    for line in proc.stderr:  # type: ignore[union-attr]
        lines.append(line)
        if text in line:
            return lines
        assert time.monotonic() < deadline, f"no {text!r} in {timeout} s:\n{''.join(lines)}"
    raise AssertionError(f"the process ended (code {proc.wait()}) before {text!r}:\n{''.join(lines)}")


def _children(pid: int) -> set[int]:
    """The pids of `pid`'s multiprocessing workers (from /proc: Linux)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stopped_cleanly(out: Path, err: str, code: int, name: str) -> None:
    """One line, 128 + the signal's number, the lock released, no temporaries, no results yet."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert lines and lines[-1] == (
        f"stopped by {name}; {out}: the same command with --resume continues (finished runs are kept)"
    ), err
    assert code == 128 + signal.Signals[name].value, err
    assert not (out / ".lock").exists()  # released (a killed process would have left the file)
    # atomic writes leave `.NAME.*` temporaries until they are renamed: none may be left behind
    assert not [p for p in out.rglob(".*")], list(out.rglob(".*"))
    assert not (out / "metrics.json").exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigterm_while_evaluating_stops_cleanly_and_resume_finishes(tmp_path):
    out = tmp_path / "cmp"
    proc = _start([*BASE, "--out", str(out)])
    _wait_for(proc, EVALUATING)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    _stopped_cleanly(out, err, proc.returncode, "SIGTERM")
    assert (out / "models" / "vae-seed0" / "eval.json").is_file()  # the finished run is kept
    assert not (out / "models" / "dcgan-seed0" / "eval.json").exists()  # cut short: measured again

    again = subprocess.run(
        [sys.executable, "-m", "ganvae", *BASE, "--out", str(out), "--resume"],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert again.returncode == 0, again.stderr
    assert "runs: 2 (1 kept from before)" in again.stderr
    assert (out / "metrics.json").is_file() and not (out / ".lock").exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_stops_jobs_workers_with_the_parent(tmp_path):
    """Ctrl-C in a terminal signals the whole process group: the parent stops its `--jobs` workers
    (they ignore the SIGINT and wait for the parent's one SIGTERM), and none outlives it."""
    out = tmp_path / "cmp"
    proc = _start([*BASE, "--jobs", "2", "--out", str(out)], start_new_session=True)
    _wait_for(proc, EVALUATING, timeout=180)
    workers = _children(proc.pid)
    assert len(workers) == 2
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)  # stderr's end: no worker holds it open any more
    assert time.monotonic() - t0 < 30  # stopped, not left to finish its work
    assert not [w for w in workers if _alive(w)]
    _stopped_cleanly(out, err, proc.returncode, "SIGINT")
