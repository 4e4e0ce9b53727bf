"""End-to-end command-line tests on real data (scikit-learn digits): train, sample, info, list, resume
after SIGTERM, and every bad input -> one line on stderr, exit code 2, nothing written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from ganvae.cli import main

from .helpers import run

FAST = ["--set", "width=8", "--set", "latent_dim=8", "-q"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One small cgan run shared by the sample/info tests."""
    out = tmp_path_factory.mktemp("runs") / "cgan"
    with pytest.raises(SystemExit) as e:
        main(["train", "cgan", "--data", "digits", "--out", str(out), "--steps", "30", *FAST])
    assert e.value.code == 0
    return out


def test_train_writes_run_folder(trained):
    names = {p.name for p in trained.iterdir()}
    assert {"model.safetensors", "config.json", "log.jsonl", "samples", "checkpoints"} <= names
    meta = json.loads((trained / "config.json").read_text())
    assert meta["model"] == "cgan" and meta["data"]["spec"] == "digits" and meta["result"]["step"] == 30


def test_sample_by_class_name_and_index(trained, tmp_path, capsys):
    code, out, _ = run(
        ["sample", trained, "-n", "20", "--labels", "3,7", "--out", tmp_path / "g.png"], capsys
    )
    assert code == 0 and "wrote 20 samples" in out
    assert Image.open(tmp_path / "g.png").size[0] > 8 * 5
    code, _, err = run(["sample", trained, "--labels", "12", "--out", tmp_path / "h.png"], capsys)
    assert code == 2 and "out of range" in err and not (tmp_path / "h.png").exists()


def test_sample_from_the_ema_or_the_raw_generator(trained, tmp_path, capsys):
    code, _, _ = run(["sample", trained, "-n", "16", "--out", tmp_path / "ema.png"], capsys)
    assert code == 0
    code, _, _ = run(
        ["sample", trained, "-n", "16", "--set", "generator=raw", "--out", tmp_path / "raw.png"], capsys
    )
    assert code == 0
    ema, raw = (np.asarray(Image.open(tmp_path / f"{k}.png")) for k in ("ema", "raw"))
    assert ema.shape == raw.shape and not np.array_equal(ema, raw)  # same noise, other weights
    code, _, err = run(["sample", trained, "--set", "ema_decay=0", "--out", tmp_path / "x.png"], capsys)
    assert code == 2 and "cannot change after training" in err and not (tmp_path / "x.png").exists()


def test_info_prints_capacity(trained, capsys):
    code, out, _ = run(["info", trained], capsys)
    assert code == 0 and "generator" in out and "discriminator" in out and "trained 30 steps" in out
    code, out, _ = run(["info", "vae", "--data", "digits"], capsys)
    assert code == 0 and "encoder" in out and "decoder" in out


def test_list_shows_models_and_every_dataset_with_its_kind(capsys, monkeypatch):
    from ganvae.registry import DATASETS

    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(["list"], capsys)
    assert code == 0 and "wgan-gp" in out
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80
    for e in DATASETS:  # its row starts with its name and kind, and says whether it is here
        row = [ln for ln in lines if ln.startswith(f"│ {e.name} ")]
        assert len(row) == 1 and f"│ {e.extra['kind']} " in row[0], e.name
        assert ("│ yes " in row[0]) == e.extra["available"](), e.name


def test_sample_labels_on_unconditional_model(tmp_path, capsys):
    code, _, _ = run(["train", "vae", "--out", tmp_path / "v", "--steps", "3", *FAST], capsys)
    assert code == 0
    code, _, err = run(["sample", tmp_path / "v", "--labels", "1"], capsys)
    assert code == 2 and "not class-conditional" in err


def _write_png(path, size, mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(
        np.random.default_rng(0).integers(0, 255, (*size, *([3] if mode == "RGB" else [])), dtype=np.uint8)
    ).save(path)


def _bad_inputs(tmp):
    (tmp / "empty").mkdir()
    _write_png(tmp / "mixed" / "a" / "1.png", (8, 8))
    _write_png(tmp / "mixed" / "a" / "2.png", (8, 8))
    _write_png(tmp / "mixed" / "b" / "3.png", (12, 12))
    _write_png(tmp / "corrupt" / "ok.png", (8, 8))
    (tmp / "corrupt" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (tmp / "idx").mkdir()
    (tmp / "idx" / "train-images-idx3-ubyte").write_bytes(
        b"\x00\x00\x08\x01" + (4).to_bytes(4, "big") + bytes(4)
    )
    np.savez(tmp / "nox.npz", images=np.zeros((4, 8, 8)))
    return {
        "missing path": (["--data", tmp / "nope"], "does not exist"),
        "empty folder": (["--data", tmp / "empty"], "no images"),
        "mixed sizes": (["--data", tmp / "mixed"], "--image-size"),
        "corrupt png": (["--data", tmp / "corrupt"], "bad.png"),
        "wrong idx magic": (["--data", tmp / "idx" / "train-images-idx3-ubyte"], "magic"),
        "npz without x": (["--data", tmp / "nox.npz"], "'x'"),
        "unknown dataset": (["--data", "cifar-99"], "cifar-99"),
        "negative budget": (["--budget", "-3m"], "positive"),
        "unknown set key": (["--set", "bogus=1"], "bogus"),
        "bad set value": (["--set", "beta=abc"], "beta"),
        "bad image size": (["--image-size", "huge"], "image-size"),
    }


BAD_CASES = [
    "missing path",
    "empty folder",
    "mixed sizes",
    "corrupt png",
    "wrong idx magic",
    "npz without x",
    "unknown dataset",
    "negative budget",
    "unknown set key",
    "bad set value",
    "bad image size",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    args, needle = _bad_inputs(tmp_path)[case]
    out = tmp_path / "run"
    code, _, err = run(["train", "vae", "--out", out, "--steps", "2", *args], capsys)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle.lower() in err.lower()
    assert "Traceback" not in err
    assert not out.exists()


def test_unknown_model_exit_2(tmp_path, capsys):
    code, _, err = run(["train", "gann", "--out", tmp_path / "r"], capsys)
    assert code == 2 and "unknown model 'gann'" in err and not (tmp_path / "r").exists()


def test_existing_run_is_not_overwritten(tmp_path, capsys):
    assert run(["train", "vae", "--out", tmp_path / "r", "--steps", "2", *FAST], capsys)[0] == 0
    code, _, err = run(["train", "vae", "--out", tmp_path / "r", "--steps", "2", *FAST], capsys)
    assert code == 2 and "--resume" in err


@pytest.mark.slow
def test_sigterm_then_resume_matches_uninterrupted_run(tmp_path):
    """A real process killed by SIGTERM and resumed ends with the same weights as an uninterrupted run."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    base = [
        sys.executable,
        "-m",
        "ganvae.cli",
        "train",
        "dcgan",
        "--data",
        "digits",
        "--steps",
        "400",
        "--seed",
        "5",
        "--set",
        "checkpoint_every=1000",
        "--set",
        "log_every=5",
        *FAST,
    ]
    subprocess.run([*base, "--out", str(tmp_path / "a")], check=True, env=env, timeout=300)

    proc = subprocess.Popen([*base, "--out", str(tmp_path / "b")], env=env, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "b" / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (log.exists() and len(log.read_text().splitlines()) >= 4):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "--resume" in err and "Traceback" not in err  # 128 + SIGTERM
    stopped = json.loads((tmp_path / "b" / "checkpoints" / "last" / "trainer.json").read_text())["state"][
        "step"
    ]
    assert 0 < stopped < 400
    subprocess.run([*base, "--out", str(tmp_path / "b"), "--resume"], check=True, env=env, timeout=300)

    a = load_file(str(tmp_path / "a" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "model.safetensors"))
    for key in a:
        assert torch.equal(a[key], b[key]), key
