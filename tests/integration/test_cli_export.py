"""`ganvae export --format onnx` from the command line: which model a folder means, and one-line refusals
that leave nothing written."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import torch

from .helpers import run

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    """A comparison-shaped folder: vae seeds 0 and 1, dcgan seed 0 (untrained, 8x8)."""
    from ganvae.models import build_model

    root = tmp_path_factory.mktemp("export") / "cmp"
    for name, seed in (("vae", 0), ("vae", 1), ("dcgan", 0)):
        torch.manual_seed(seed)
        build_model(name, (1, 8, 8), 0, {"width": 8, "latent_dim": 4}).save(
            root / "models" / f"{name}-seed{seed}"
        )
    return root


def test_export_picks_model_and_seed(comparison, tmp_path, capsys):
    from ganvae.models.base import GenerativeModel

    out = tmp_path / "vae1"
    code, stdout, err = run(["export", comparison, "--model", "vae", "--seed", "1", "-o", out], capsys)
    assert code == 0, err
    assert "wrote decoder.onnx, encoder.onnx and model.json of vae" in stdout
    manifest = json.loads((out / "model.json").read_text())
    assert manifest["model"] == "vae" and manifest["shape"] == [1, 8, 8]
    model = GenerativeModel.load(comparison / "models" / "vae-seed1")
    z = torch.randn(3, 4)
    sess = ort.InferenceSession(str(out / "decoder.onnx"), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {"z": z.numpy()})
    assert np.abs(got - model.decode(z).numpy()).max() < 1e-4  # seed 1's weights, not seed 0's


def test_bad_input_is_one_line_and_writes_nothing(comparison, tmp_path, capsys):
    cases = [
        (["export", tmp_path / "nowhere"], "does not exist"),
        (["export", comparison, "-o", tmp_path / "x"], "several models (dcgan, vae); pick one with --model"),
        (["export", comparison, "--seed", "1", "-o", tmp_path / "x"], "--seed picks a seed"),
        (
            ["export", comparison, "--model", "vae", "--format", "tflite", "-o", tmp_path / "x"],
            "use --format onnx",
        ),
    ]
    for argv, words in cases:
        code, _, err = run(argv, capsys)
        assert code == 2 and err.count("\n") == 1 and words in err and "Traceback" not in err, err
    assert not (tmp_path / "x").exists()
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        code, _, err = run(["export", comparison, "--model", "dcgan", "-o", locked / "out"], capsys)
        assert code == 2 and "read-only" in err and not (locked / "out").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("k")
    code, _, err = run(["export", comparison, "--model", "dcgan", "-o", mine], capsys)
    assert code == 2 and "not an earlier ONNX export" in err and sorted(os.listdir(mine)) == ["keep.txt"]
    shutil.rmtree(mine)


def test_serve_refuses_bad_runs_and_ports_in_one_line(comparison, tmp_path, capsys):
    """Checked before anything listens: a folder with no model, a port that is not one."""
    for argv, words in [
        (["serve", tmp_path / "nowhere"], "does not exist"),
        (["serve", comparison, "--port", "70000"], "is not a TCP port"),
        (["serve", comparison, "--threads", "0"], "--threads must be at least 1"),
    ]:
        code, _, err = run(argv, capsys)
        assert code == 2 and err.count("\n") == 1 and words in err and "Traceback" not in err, err


def test_a_model_that_does_not_export_says_which_do(tmp_path, capsys):
    from ganvae.models import build_model

    folder = build_model("mult-vae", (30,)).save(tmp_path / "mult-vae-seed0")
    code, _, err = run(["export", folder, "-o", tmp_path / "x"], capsys)
    assert code == 2 and err.count("\n") == 1 and not (tmp_path / "x").exists()
    assert (
        "mult-vae cannot be used by `ganvae export`: its networks do not export to ONNX (supported: vae,"
        in err
    )
    assert "tabular-vae)" in err and "use `ganvae recommend` instead" in err
