"""Progress everywhere (issue 18, item 3): plain lines at a steady interval when stderr is not a terminal
(nohup, CI, SLURM), bars that fit 80 columns with the seed shown in a terminal, a line per evaluation stage,
and a first line before PyTorch's import in a terminal. Real `ganvae` processes, output redirected or on a
pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time

import torch

from ganvae.data.images import ImageData
from ganvae.evaluate.images import EvalConfig, Reference, evaluate_model
from ganvae.models.base import build_model

from .helpers import subprocess_env

SMALL = ["--set", "width=8", "--set", "latent_dim=8"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _ganvae(*args) -> list[str]:
    return [sys.executable, "-m", "ganvae", *map(str, args)]


def test_redirected_output_gets_plain_lines_at_a_steady_interval(tmp_path):
    proc = subprocess.run(
        _ganvae("train", "vae", "--out", tmp_path / "r", "--budget", "5s", *SMALL),
        env=subprocess_env(GANVAE_PROGRESS_SECONDS="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert not ANSI.search(proc.stderr) and "━" not in proc.stderr  # no bar drawn into a file
    assert lines[0] == "vae seed 0: training, 5 s wall-clock"
    ticks = [ln for ln in lines if re.match(r"vae seed 0: step \d+, \d+/5 s \(\d+%\), \d:\d\d, ", ln)]
    assert len(ticks) >= 3, lines  # about one a second over five seconds
    steps = [int(re.search(r"step (\d+)", ln).group(1)) for ln in ticks]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert all("images/s" in ln for ln in ticks)
    assert re.fullmatch(r"vae seed 0: trained \d+ steps in 0:0\d \(\d+ images/s\)", lines[-1]), lines[-1]
    assert proc.stdout.startswith("trained vae on digits")  # the result alone on stdout


def test_a_search_trial_shows_its_training_in_a_log_file(tmp_path):
    """A search trial trains for as long as a seed's run: in a log file it gets the same plain lines,
    named by trial (a trial's seed is not one of the comparison's seeds)."""
    args = ["compare", "--models", "vae", "--search", "2", "--budget", "3s", "--seeds", "1"]
    small = ["--samples", "50", "--recon-images", "8", "--batch-size", "32", *SMALL]
    proc = subprocess.run(
        _ganvae(*args, *small, "--out", tmp_path / "c"),
        env=subprocess_env(GANVAE_PROGRESS_SECONDS="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = (proc.stdout + proc.stderr).splitlines()
    for trial in (0, 1):
        assert f"search vae trial {trial}: training, 3 s wall-clock" in lines, lines
        ticks = [ln for ln in lines if ln.startswith(f"search vae trial {trial}: step ")]
        assert ticks and all("images/s" in ln for ln in ticks), lines
    assert not any(re.match(r"vae seed \d{2,}", ln) for ln in lines)  # no trial posing as a seed


def test_quiet_prints_no_progress(tmp_path):
    proc = subprocess.run(
        _ganvae("train", "vae", "--out", tmp_path / "r", "--steps", "3", "-q", *SMALL),
        env=subprocess_env(GANVAE_PROGRESS_SECONDS="0.01"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def _on_terminal(args, columns: int = 80) -> tuple[int, str]:
    """Run `ganvae ARGS` with stderr on a pseudo-terminal `columns` wide; (exit code, what it showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        _ganvae(*args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=subprocess_env(COLUMNS=str(columns)),
    )
    os.close(slave)
    chunks, deadline = [], time.time() + 300
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_bars_fit_80_columns_and_show_the_seed(tmp_path):
    """A GAN's bar (four losses) at 80 columns: name, seed, count and times stay whole, the losses are cut."""
    code, shown = _on_terminal(
        ["train", "dcgan", "--out", tmp_path / "r", "--steps", "30", "--seed", "3", *SMALL]
    )
    assert code == 0, shown
    # the start-up line is shown while PyTorch loads, then erased
    assert shown.startswith("ganvae train: loading PyTorch...\r\x1b[K")
    rows = [ANSI.sub("", r) for r in re.split(r"[\r\n]", shown)]
    bars = [r for r in rows if r.startswith("dcgan seed 3 ")]
    assert bars, rows
    last = bars[-1].rstrip()
    assert len(last) <= 80, last
    assert re.match(r"dcgan seed 3 ━+ 30/30 \d:\d\d:\d\d \d:\d\d:\d\d \d+ images/s loss_d=", last), last
    assert all(len(r.rstrip()) <= 80 for r in rows)


def test_each_evaluation_stage_gets_a_line():
    g = torch.Generator().manual_seed(0)
    data = ImageData("toy", torch.rand(200, 1, 8, 8, generator=g), torch.rand(60, 1, 8, 8, generator=g))

    class Pixels:
        def features(self, x):
            return x.flatten(1).float()

    ref = Reference(data, Pixels(), EvalConfig(n_samples=40, n_recon=16))
    said: list[str] = []
    for name, extra in (("vae", {}), ("dcgan", {"inversion_steps": 2})):
        torch.manual_seed(0)
        model = build_model(name, data.shape, overrides={"width": 8, "latent_dim": 8, **extra})
        evaluate_model(model, ref, None, name, say=said.append)
    assert [s.split(":")[0] for s in said if s.startswith("evaluating")] == [
        "evaluating 1/3",
        "evaluating 2/3",
        "evaluating 3/3",
    ] * 2
    assert "16 test images encoded and reconstructed" in said[1]
    assert "16 test images inverted (a GAN has no encoder) and reconstructed" in said[5]
    assert said[3].startswith("evaluated in ") and said[7].startswith("evaluated in ")
