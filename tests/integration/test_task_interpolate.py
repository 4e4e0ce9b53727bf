"""`ganvae task interpolate`, `ganvae morph` and `ganvae generate --prompt` end to end on real digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from .helpers import run

FAST = ["--steps", "40", "--pairs", "3", "--path-steps", "5", "--set", "inversion_steps=10", "-q"]


@pytest.fixture(scope="module")
def interp_run(tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("interp") / "run"
    with pytest.raises(SystemExit) as e:
        main(["task", "interpolate", "--models", "vae,cgan", "--out", str(out), *FAST])
    assert e.value.code == 0
    return out


def test_interpolate_task_measures_and_draws(interp_run):
    m = json.loads((interp_run / "metrics.json").read_text())
    paths = m["results"]["paths"]
    assert set(paths) == {"vae / linear", "vae / slerp", "cgan / linear", "cgan / slerp"}
    for row in paths.values():
        assert row["path_length_ratio"]["mean"] >= 1.0 - 1e-9  # a path is never shorter than its chord
        assert row["max_step_ratio"]["mean"] >= 1.0 - 1e-9
        assert 5 < row["endpoint_psnr"]["mean"] < 60
    assert m["verdicts"][0]["use_case"].startswith("latent exploration")
    gif = Image.open(interp_run / "figures" / "morph-vae.gif")
    assert gif.n_frames == 2 * 5 - 2  # forward, then back (bouncing loop)
    html = (interp_run / "report.html").read_text()
    assert html.count("data:image/gif;base64,") == 2 and html.count("data:image/png;base64,") == 4


def _png(path, array):
    Image.fromarray((array * 255).astype(np.uint8)).save(path)


def test_morph_two_images_into_a_gif(interp_run, digits, tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    _png(a, digits.x_test[0, 0].numpy())
    _png(b, np.stack([digits.x_test[1, 0].numpy()] * 3, axis=-1))  # colour input, gray model
    out = tmp_path / "m.gif"
    model = interp_run / "models" / "vae-seed0"
    code, stdout, _ = run(["morph", model, a, b, "--out", out, "--steps", "7"], capsys)
    assert code == 0 and "dB PSNR" in stdout
    assert Image.open(out).n_frames == 12 and (tmp_path / "m.png").is_file()
    cgan = interp_run / "models" / "cgan-seed0"
    code, _, err = run(["morph", cgan, a, b, "--out", out], capsys)
    assert code == 2 and "--label" in err
    code, _, _ = run(["morph", cgan, a, b, "--out", out, "--label", "3", "--steps", "4"], capsys)
    assert code == 0


def test_generate_from_a_prompt(interp_run, tmp_path, capsys):
    cgan = interp_run / "models" / "cgan-seed0"
    out = tmp_path / "g.png"
    code, stdout, _ = run(["generate", cgan, "--prompt", "7", "-n", "6", "--out", out], capsys)
    assert code == 0 and "class '7'" in stdout and out.is_file()
    code, _, err = run(["generate", cgan, "--prompt", "ankle boot", "--out", out], capsys)
    assert code == 2 and "known classes: 0, 1, 2" in err
    code, _, err = run(
        ["generate", interp_run / "models" / "vae-seed0", "--prompt", "7", "--out", out], capsys
    )
    assert code == 2 and "not class-conditional" in err


def test_interpolate_bad_input(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", "interpolate", "--pairs", "0", "--out", out], capsys)
    assert code == 2 and "--pairs" in err and not out.exists()
