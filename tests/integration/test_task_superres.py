"""`ganvae task superres` and `ganvae upscale` end to end on real digits (8x8, scale 2) at a tiny budget,
bad input included."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from PIL import Image

from .helpers import run

FAST = ["--steps", "20", "--seeds", "2", "--images", "40", "--draws", "2", "-q"]
ARMS = {"bicubic", "srgan", "sr-vae", "sr-regression"}


@pytest.fixture(scope="module")
def sr_run(tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("superres") / "run"
    with pytest.raises(SystemExit) as e:
        main(["task", "superres", "--scale", "2", "--out", str(out), *FAST])
    assert e.value.code == 0
    return out


def test_every_arm_is_measured_on_both_axes(sr_run):
    m = json.loads((sr_run / "metrics.json").read_text())
    res = m["results"]
    assert m["task"] == "superres" and res["scale"] == 2 and res["lr_shape"] == [1, 4, 4]
    assert "antialias=True" in res["downsampling"] and res["images"] == 40
    methods = res["methods"]
    assert set(methods) == ARMS
    assert {k: v["family"] for k, v in methods.items()} == {
        "bicubic": "baseline",
        "srgan": "gan",
        "sr-vae": "vae",
        "sr-regression": "regression",
    }
    for name, row in methods.items():
        assert row["sr_psnr"]["n"] == (1 if name == "bicubic" else 2)
        assert 5 < row["sr_psnr"]["mean"] < 40 and 0 < row["sr_ssim"]["mean"] <= 1
        assert row["fd"]["mean"] > 0 and math.isfinite(row["sr_sharpness_ratio"]["mean"])
        assert row["consistency_psnr"]["mean"] > row["sr_psnr"]["mean"]  # the input is easier to match
    # only the conditional VAE draws several outputs for one input
    assert methods["sr-vae"]["decode_variance"]["mean"] > 0
    assert (
        methods["srgan"]["decode_variance"]["mean"]
        == 0
        == methods["sr-regression"]["decode_variance"]["mean"]
    )
    assert res["fd_floor"] < methods["bicubic"]["fd"]["mean"]
    assert res["claim"]["verdict"] in {"holds", "does not hold", "inconclusive"}
    assert len(res["claim"]["checks"]) == 6
    uses = [v["use_case"] for v in m["verdicts"]]
    assert uses == ["super-resolution: fidelity", "super-resolution: realism"]
    assert all(v["winner"] in {"srgan", "sr-vae"} for v in m["verdicts"])
    titles = [t["title"] for t in m["section"]["tables"]]
    assert titles == ["Distortion, perception, consistency and diversity", "The claim, check by check"]
    assert "antialiased bicubic" in m["section"]["intro"]


def test_report_embeds_the_grids_and_the_plane(sr_run):
    for name in ("superres-grid.png", "superres-draws.png", "perception-distortion.png"):
        assert (sr_run / "figures" / name).is_file()
    # the grid: input, bicubic, three arms, truth; 8 images of 8x8 drawn at 8x, 1-px gaps
    grid = Image.open(sr_run / "figures" / "superres-grid.png")
    assert grid.size[1] == (6 * 9 + 1) * 8
    html = (sr_run / "report.html").read_text()
    assert "Super-resolution" in html and html.count("data:image/png;base64,") == 3


def test_a_rerun_reuses_the_models_and_other_settings_are_refused(sr_run, capsys):
    weights = sorted((sr_run / "models").glob("*/model.safetensors"))
    assert len(weights) == 6
    before = [p.stat().st_mtime_ns for p in weights]
    again = ["task", "superres", "--scale", "2", "--out", sr_run, *FAST]
    code, _, err = run(again, capsys)  # the same run again: entered only with --resume
    assert code == 2 and "already holds this" in err and "--resume" in err
    code, out, _ = run([*again, "--resume"], capsys)
    assert code == 0 and "claim:" in out
    assert [p.stat().st_mtime_ns for p in weights] == before
    other = ["--steps", "20", "--seeds", "2", "--images", "40", "--draws", "3", "-q"]
    code, _, err = run(["task", "superres", "--scale", "2", "--out", sr_run, *other, "--resume"], capsys)
    assert code == 2 and "other settings" in err and err.count("\n") == 1


def test_the_rows_reach_a_comparisons_report(sr_run, tmp_path):
    from ganvae.report.section import merge_task_verdicts

    comparison = tmp_path / "cmp"
    shutil.copytree(sr_run, comparison / "tasks" / "superres")
    metrics = {"verdicts": [{"use_case": "realistic generation", "winner": "vae"}]}
    rows = merge_task_verdicts(metrics, comparison)["verdicts"]
    assert [r["use_case"] for r in rows] == [
        "realistic generation",
        "super-resolution: fidelity",
        "super-resolution: realism",
    ]


def test_upscale_a_users_image(sr_run, tmp_path, capsys):
    gray = tmp_path / "small.png"
    Image.fromarray((np.arange(30).reshape(5, 6) * 8).astype(np.uint8)).save(gray)
    code, out, _ = run(["upscale", sr_run, gray, "--out", tmp_path / "big.png"], capsys)
    assert code == 0 and "(10x12, 2x of 5x6) with srgan" in out
    assert Image.open(tmp_path / "big.png").size == (12, 10)
    # a colour image for a gray model: converted, and said so
    rgb = tmp_path / "colour.png"
    Image.fromarray(np.full((4, 4, 3), 200, np.uint8)).save(rgb)
    code, out, _ = run(["upscale", sr_run, rgb, "--out", tmp_path / "c.png", "--model", "sr-vae"], capsys)
    assert code == 0 and "colour.png has 3 channels and the model 1: converted to gray" in out
    assert Image.open(tmp_path / "c.png").mode == "L"

    # the VAE draws: another seed, another output; at temperature 0 (a sampling setting) one output
    def pixels(seed: int, *extra: str) -> np.ndarray:
        target = tmp_path / f"s{seed}.png"
        args = ["upscale", sr_run, gray, "-o", target, "--model", "sr-vae", "--seed", str(seed), *extra]
        assert run(args, capsys)[0] == 0
        return np.asarray(Image.open(target))

    assert not np.array_equal(pixels(0), pixels(1))
    assert np.array_equal(pixels(0, "--set", "temperature=0"), pixels(1, "--set", "temperature=0"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scale", "3"], "--scale 3 is not supported; use 2 or 4"),
        (["--scale", "4"], "8x8 images at scale 4 give 2x2 low-resolution inputs; the smallest is 4x4"),
        (["--scale", "4", "--image-size", "18"], "scale 4 does not divide the image size 18x18"),
        (["--models", "srgan,vae"], "vae cannot upscale, which this needs; models that can: srgan, sr-vae"),
        (["--models", "srgann"], "unknown model 'srgann'"),
        (["--set", "scale=4"], "give the scale with --scale, not --set scale=4"),
        (["--set", "adv_weight=0"], "adv_weight must be positive"),
        (["--set", "pretrain=1"], "pretrain must lie in [0, 1)"),
        (["--images", "5"], "--images must be at least 10"),
        (["--draws", "1"], "--draws must be at least 2"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(args, needle, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", "superres", "--out", out, "--steps", "2", *args], capsys)
    assert code == 2 and needle in err and err.count("\n") == 1, err
    assert not out.exists()


def test_srgan_pretrain_under_a_wall_clock_budget_alone_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["task", "superres", "--models", "srgan", "--out", out, "--set", "pretrain=0.5", "--budget", "5s"]
    code, _, err = run(args, capsys)
    assert code == 2 and "pretrain=0.5 is a share of the run's steps" in err and err.count("\n") == 1, err
    assert "add --steps or --epochs" in err and not out.exists()


def test_models_that_cannot_serve_a_plan_are_refused(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, _, err = run(["compare", "--models", "srgan,vae", "--out", out, "--steps", "2"], capsys)
    assert code == 2 and "srgan cannot sample, which this needs" in err and not out.exists()
    code, _, err = run(["task", "denoise", "--models", "sr-vae", "--out", out, "--steps", "2"], capsys)
    assert code == 2 and "sr-vae cannot reconstruct" in err and not out.exists()


def test_upscale_bad_input(sr_run, tmp_path, capsys):
    target = tmp_path / "u.png"
    code, _, err = run(["upscale", sr_run, tmp_path / "missing.png", "-o", target], capsys)
    assert code == 2 and "does not exist" in err and err.count("\n") == 1
    text = tmp_path / "notes.txt"
    text.write_text("x")
    code, _, err = run(["upscale", sr_run, text, "-o", target], capsys)
    assert code == 2 and "is not an image file" in err
    code, _, err = run(["upscale", sr_run, text, "-o", target, "--model", "vae"], capsys)
    assert code == 2 and "holds no trained vae" in err
    assert not target.exists()
