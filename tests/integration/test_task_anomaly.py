"""`ganvae task anomaly` and `ganvae score` end to end on real digits at a tiny budget, bad input included;
and a task run inside a comparison folder showing up in the comparison's report."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from .conftest import ANOMALY_FAST as FAST
from .helpers import run


def test_task_folder_and_scores(anomaly_run):
    m = json.loads((anomaly_run / "metrics.json").read_text())
    assert m["task"] == "anomaly"
    rows = m["results"]["scores"]
    assert set(rows) == {"vae / neg-elbo", "vae / recon-error", "dcgan / anogan", "dcgan / critic"}
    for row in rows.values():
        assert 0.0 <= row["auroc"]["mean"] <= 1.0 and 0.0 <= row["auprc"]["mean"] <= 1.0
    # zeros look unlike every other digit: a VAE trained on them separates them well even after 60 steps
    assert rows["vae / neg-elbo"]["auroc"]["mean"] > 0.9
    assert m["verdicts"][0]["use_case"] == "anomaly detection" and m["verdicts"][0]["winner"] in rows
    for name in ("roc.png", "extremes-vae.png", "extremes-dcgan.png"):
        assert (anomaly_run / "figures" / name).is_file()
    html = (anomaly_run / "report.html").read_text()
    assert "AUROC by normal class" in html and html.count("data:image/png;base64,") == 3
    assert (anomaly_run / "models" / "vae-class0-seed0" / "calibration.json").is_file()


def test_rerun_reuses_models_and_other_settings_are_refused(anomaly_run, capsys):
    weights = anomaly_run / "models" / "dcgan-class0-seed0" / "model.safetensors"
    scores = weights.parent / "scores.json"  # AnoGAN scores are costly: cached, not recomputed
    before = weights.stat().st_mtime_ns, scores.stat().st_mtime_ns
    metrics = (anomaly_run / "metrics.json").read_text()
    code, out, _ = run(
        ["task", "anomaly", "--normal-class", "0", "--out", anomaly_run, *FAST, "--resume"], capsys
    )
    assert code == 0 and (weights.stat().st_mtime_ns, scores.stat().st_mtime_ns) == before
    after = json.loads((anomaly_run / "metrics.json").read_text())["results"]["scores"]
    assert after == json.loads(metrics)["results"]["scores"]
    code, _, err = run(["task", "anomaly", "--normal-class", "1", "--out", anomaly_run, *FAST], capsys)
    assert code == 2 and "other settings" in err


def test_score_new_images_writes_flags_at_the_requested_rate(anomaly_run, digits, tmp_path, capsys):
    folder = tmp_path / "new"
    folder.mkdir()
    zeros = digits.x_test[digits.y_test == 0][:5]
    noise = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    for i, img in enumerate(torch.cat([zeros, noise])):
        Image.fromarray((img[0].numpy() * 255).astype(np.uint8)).resize((16, 16)).save(folder / f"{i}.png")
    out = tmp_path / "scores.csv"
    model = anomaly_run / "models" / "vae-class0-seed0"
    code, stdout, _ = run(["score", model, "--data", folder, "--fpr", "0.1", "--out", out], capsys)
    assert code == 0 and "scored 10 images with neg-elbo" in stdout
    rows = list(csv.DictReader(out.open()))
    assert [r["path"] for r in rows] == [f"{i}.png" for i in range(10)]
    flags = {r["path"]: int(r["flag"]) for r in rows}
    assert all(flags[f"{i}.png"] == 1 for i in range(5, 10))  # noise is anomalous
    # the threshold sits at the 90 % quantile of the held-out normal scores
    calib = np.array(json.loads((model / "calibration.json").read_text())["neg-elbo"])
    threshold = np.quantile(calib, 0.9, method="higher")
    assert all((float(r["score"]) > threshold) == bool(int(r["flag"])) for r in rows)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--normal-class", "cat"], "known classes: 0, 1"),
        (["--normal-class", "0", "--all-classes"], "not both"),
        (["--normal-class", "0", "--models", "cvae"], "class-conditional"),
        (["--normal-class", "0", "--models", "vea"], "Did you mean 'vae'"),
        (["--normal-class", "0", "--score-images", "-1"], "--score-images"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(args, needle, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", "anomaly", "--out", out, "--steps", "5", *args], capsys)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_score_bad_input(anomaly_run, tmp_path, capsys):
    model = anomaly_run / "models" / "dcgan-class0-seed0"
    code, _, err = run(
        ["score", model, "--data", "digits", "--method", "elbo", "--out", tmp_path / "s.csv"], capsys
    )
    assert code == 2 and "choose anogan, critic" in err
    code, _, err = run(
        ["score", model, "--data", "digits", "--fpr", "1.5", "--out", tmp_path / "s.csv"], capsys
    )
    assert code == 2 and "--fpr" in err
    plain = tmp_path / "plain"
    shutil.copytree(model, plain, ignore=shutil.ignore_patterns("calibration.json"))
    code, _, err = run(["score", plain, "--data", "digits", "--out", tmp_path / "s.csv"], capsys)
    assert code == 2 and "--threshold" in err and not (tmp_path / "s.csv").exists()
    code, out, _ = run(
        [
            "score",
            plain,
            "--data",
            "digits",
            "--method",
            "critic",
            "--threshold",
            "0",
            "--out",
            tmp_path / "s.csv",
        ],
        capsys,
    )
    assert code == 0 and (tmp_path / "s.csv").is_file()


def test_report_rerenders_a_task_folder_with_markdown(anomaly_run, tmp_path, capsys):
    folder = tmp_path / "copy"
    shutil.copytree(anomaly_run, folder, ignore=shutil.ignore_patterns("models"))
    (folder / "report.html").unlink()
    code, out, _ = run(["report", folder, "--markdown"], capsys)
    assert code == 0 and (folder / "report.html").is_file()
    assert "| normal class | vae / neg-elbo | vae / recon-error | dcgan / anogan | dcgan / critic |" in out
