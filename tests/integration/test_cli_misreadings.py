"""Silent misreadings (issue 18, item 4): each input ganvae used to read differently from what the user
meant is now refused (one line, exit 2, nothing written) or stated in a one-line note."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from ganvae.data.images.npz import read_npz
from ganvae.training import TrainConfig

from .helpers import run

FAST = ["--set", "width=8", "--set", "latent_dim=8", "-q"]


def _refused(code: int, err: str, needle: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert needle in err, err


def test_compare_on_a_table_refuses_image_models_it_used_to_replace(tmp_path, capsys):
    out = tmp_path / "c"
    code, _, err = run(["compare", "--data", "wine", "--models", "vae,dcgan", "--out", out], capsys)
    _refused(code, err, "vae is a model of images, not table")
    assert "models of table: tabular-vae, tabular-gan" in err and not out.exists()


def test_npz_floats_on_no_known_scale_are_refused_not_divided_by_255(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, size=(40, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "five.npz", x=x)
    out = tmp_path / "r"
    code, _, err = run(
        ["train", "vae", "--data", tmp_path / "five.npz", "--out", out, "--steps", "2"], capsys
    )
    _refused(code, err, "x values lie in [")
    assert "neither [0, 1] nor 0..255 pixel values" in err and not out.exists()
    # floats on the 0..255 scale are still read as pixel values: the same images as their uint8 form
    u8 = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "f255.npz", x=u8.astype(np.float32))
    np.savez(tmp_path / "u8.npz", x=u8)
    assert np.array_equal(read_npz(tmp_path / "f255.npz")[0], read_npz(tmp_path / "u8.npz")[0])


def _table(path, **columns) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.integers(0, 3, 60), **columns})
    frame.to_csv(path, index=False)


def test_a_target_with_one_value_is_refused_before_training(tmp_path, capsys):
    _table(tmp_path / "one.csv", y=["yes"] * 60)
    out = tmp_path / "t"
    code, _, err = run(
        ["task", "synthesize", "--data", tmp_path / "one.csv", "--target", "y", "--out", out], capsys
    )
    _refused(code, err, "the target 'y' of one has one value (yes) in the training rows")
    assert not out.exists()


def test_values_float32_cannot_hold_are_refused_and_nothing_is_written(tmp_path, capsys):
    _table(tmp_path / "huge.csv", big=[1e300, -1e300] * 30)
    out = tmp_path / "t"
    code, _, err = run(["task", "synthesize", "--data", tmp_path / "huge.csv", "--out", out, "-q"], capsys)
    _refused(code, err, "column big of huge holds values up to 1e+300 in size")
    assert "--drop big" in err and not out.exists()


def test_two_budgets_are_stated_not_silently_resolved():
    assert TrainConfig(steps=400).budget_note(400) is None
    note = TrainConfig(steps=400, epochs=2).budget_note(22)
    assert (
        note == "budget: --epochs 2 and --steps 400 given; training stops at whichever ends first (step 22)"
    )
    note = TrainConfig(steps=400, budget_s=60).budget_note(400)
    assert note is not None and note.endswith(
        "--budget 60 s given; training stops at whichever ends first (step 400 at the latest)"
    )


def test_an_image_of_another_size_and_colour_is_scored_with_a_note(tmp_path, capsys):
    model = tmp_path / "m"
    assert run(["train", "vae", "--out", model, "--steps", "2", *FAST], capsys)[0] == 0
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(tmp_path / "fits.png")
    args = ["score", model, "--threshold", "100", "--out", tmp_path / "s.csv", "--data"]
    code, out, err = run([*args, tmp_path / "photo.png"], capsys)
    assert code == 0 and "scored 1 images" in out
    assert err == "note: 1 image (64x64 colour) fitted to the model's 8x8 gray\n"
    code, out, err = run([*args, tmp_path / "fits.png"], capsys)
    assert code == 0 and err == ""
