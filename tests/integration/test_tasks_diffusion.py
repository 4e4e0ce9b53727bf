"""The diffusion model in the tasks where it applies, end to end on real digits at tiny budgets (width 8, 20
DDIM steps): denoising SDEdit-style, anomaly detection by partial noising and denoising, morphing along
DDIM-inverted noises, and augmentation with the class-conditional cddpm. Each goes through the task's
ordinary code path (the model's capabilities and hooks, no name test); the closed-form checks are in
tests/unit/models/test_sdedit.py."""

from __future__ import annotations

import json

import pytest

from .helpers import run

SMALL = ["--set", "width=8", "--set", "sample_steps=20", "-q"]


def _task(tmp_path, capsys, *args) -> dict:
    out = tmp_path / "run"
    code, _, err = run(["task", *args, "--out", out, *SMALL], capsys)
    assert code == 0, err
    return json.loads((out / "metrics.json").read_text())


def test_denoising_sdedit_beats_the_noisy_input(tmp_path, capsys):
    # 100 steps: enough for the reverse process to pull noisy digits back towards digits (at sigma 0.2
    # this model restores about as well as leaving the image alone: a finding of BENCHMARKS, not a test)
    m = _task(
        tmp_path, capsys, "denoise", "--models", "ddpm", "--steps", "100", "--batch-size", "32",
        "--images", "32", "--noise", "gaussian:0.4",
    )  # fmt: skip
    methods = m["results"]["methods"]
    ddpm, noisy = methods["ddpm"], methods["noisy input"]
    assert ddpm["family"] == "diffusion" and ddpm["restore_s_per_image"] > 0
    # closer to the clean image than the noisy input is: by more than 1 dB at sigma 0.4
    assert ddpm["psnr"]["gaussian:0.4"]["mean"] > noisy["psnr"]["gaussian:0.4"]["mean"] + 1.0
    v = m["verdicts"][0]
    assert v["winner"] == "ddpm" and v["family"] == "diffusion"  # the only model, and no crash on its family


def test_anomaly_by_partial_noising_separates_the_normal_class(tmp_path, capsys):
    m = _task(
        tmp_path, capsys, "anomaly", "--models", "ddpm", "--normal-class", "0", "--steps", "60",
        "--batch-size", "32", "--score-images", "100",
    )  # fmt: skip
    row = m["results"]["scores"]["ddpm / partial-recon"]
    assert row["family"] == "diffusion" and row["auroc"]["mean"] > 0.8  # 0.5: no better than chance
    assert m["verdicts"][0]["winner"] == "ddpm / partial-recon"
    # `ganvae score` takes the task's model and its calibration
    model = tmp_path / "run" / "models" / "ddpm-class0-seed0"
    assert (model / "calibration.json").is_file()


def test_morphs_along_inverted_noises(tmp_path, capsys):
    m = _task(
        tmp_path, capsys, "interpolate", "--models", "ddpm", "--steps", "10", "--pairs", "2",
        "--path-steps", "4",
    )  # fmt: skip
    paths = m["results"]["paths"]
    assert set(paths) == {"ddpm / linear", "ddpm / slerp"}
    for row in paths.values():
        assert row["path_length_ratio"]["mean"] >= 1.0 - 1e-9  # never shorter than the chord
    # both paths start and end at the same inverted noises (how close they come back is a matter of
    # training: test_sdedit.py checks the exact case)
    ends = [row["endpoint_psnr"]["mean"] for row in paths.values()]
    assert ends[0] == pytest.approx(ends[1], abs=1e-6) and 0 < ends[0] < 100
    assert (tmp_path / "run" / "figures" / "morph-ddpm.gif").is_file()


def test_augmentation_with_conditional_diffusion_samples(tmp_path, capsys):
    m = _task(
        tmp_path, capsys, "augment", "--models", "cddpm", "--labels-per-class", "3", "--steps", "10",
        "--seeds", "1", "--synthetic-per-class", "4", "--classifier-steps", "8",
    )  # fmt: skip
    res = m["results"]
    assert res["arms"] == ["real only", "real + cddpm", "cddpm only"]
    sizes = {r["arm"]: r["n_train"] for r in res["runs"]}
    assert sizes == {"real only": 30, "real + cddpm": 70, "cddpm only": 40}  # 4 drawn images per class
    assert all(0.0 <= res["accuracy"]["3"][arm]["mean"] <= 1.0 for arm in res["arms"])
    assert m["verdicts"][0]["winner"] == "cddpm"
    assert (tmp_path / "run" / "figures" / "samples-cddpm.png").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["anomaly", "--models", "cddpm", "--normal-class", "0"], "cddpm is class-conditional"),
        (["augment", "--models", "ddpm"], "ddpm is not class-conditional"),
    ],
)
def test_where_it_does_not_apply_is_one_line(args, needle, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", *args, "--out", out, "--steps", "2"], capsys)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
