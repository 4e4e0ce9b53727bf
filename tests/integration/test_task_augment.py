"""`ganvae task augment` end to end on real digits at a tiny budget (two K, two seeds), and its bad input:
K larger than a class, unlabelled data, an unconditional model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from .helpers import run

FAST = [
    "--steps",
    "10",
    "--seeds",
    "2",
    "--synthetic-per-class",
    "5",
    "--classifier-steps",
    "8",
    "-q",
]


@pytest.fixture(scope="module")
def augment_run(tmp_path_factory):
    """cvae and cgan on 2 and 4 labelled digits per class, 10 steps each, 2 seeds."""
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("augment") / "run"
    with pytest.raises(SystemExit) as e:
        main(["task", "augment", "--labels-per-class", "4,2", "--out", str(out), *FAST])
    assert e.value.code == 0
    return out


def test_accuracy_per_k_and_arm_with_figures_and_report(augment_run):
    m = json.loads((augment_run / "metrics.json").read_text())
    assert m["task"] == "augment"
    res = m["results"]
    arms = ["real only", "real + cvae", "real + cgan", "cvae only", "cgan only"]
    assert res["labels_per_class"] == [2, 4] and res["arms"] == arms
    for k in ("2", "4"):
        for arm in arms:
            cell = res["accuracy"][k][arm]
            assert len(cell["values"]) == 2 and all(0.0 <= v <= 1.0 for v in cell["values"])
    # the classifier sees 2 or 4 real images per class; real + synthetic adds 5 samples per class
    sizes = {(r["k"], r["arm"]): r["n_train"] for r in res["runs"]}
    assert sizes[2, "real only"] == 20 and sizes[2, "real + cvae"] == 70 and sizes[4, "cgan only"] == 50
    assert m["verdicts"][0]["use_case"] == "augmentation of small labelled sets"
    assert m["verdicts"][0]["winner"] in ("cvae", "cgan")
    for name in ("accuracy.png", "real.png", "samples-cvae.png", "samples-cgan.png"):
        assert (augment_run / "figures" / name).is_file()
    # one row per class: 10 rows of 8x8 digits, upscaled 8x, with 1-pixel padding
    assert Image.open(augment_run / "figures" / "samples-cvae.png").height == 8 * (10 * 9 + 1)
    assert {p.name for p in (augment_run / "models").iterdir()} == {
        f"{m}-k{k}-seed{s}" for m in ("cvae", "cgan") for k in (2, 4) for s in (0, 1)
    }
    html = (augment_run / "report.html").read_text()
    assert "Test accuracy (mean ± std over 2 seed(s))" in html
    assert html.count("data:image/png;base64,") == 4


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--labels-per-class", "10,500"], "has 139 training images; give values <= 139"),
        (["--labels-per-class", "ten"], "comma-separated integers"),
        (["--models", "cvae,dcgan"], "dcgan is not class-conditional"),
        (["--synthetic-per-class", "0"], "--synthetic-per-class"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(args, needle, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", "augment", "--out", out, "--steps", "5", *args], capsys)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_unlabelled_data_is_refused(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "run"
    code, _, err = run(["task", "augment", "--data", folder, "--out", out, "--steps", "5"], capsys)
    assert code == 2 and "has no labels" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_smallest_class_is_named(digits):
    # the K-too-large message above names digits' smallest class; keep the test honest if data change
    counts = torch.bincount(digits.y_train)
    assert int(counts.min()) == 139
