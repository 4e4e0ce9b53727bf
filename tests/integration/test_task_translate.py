"""`ganvae task translate` and `ganvae translate` end to end on real digits (0 <-> 1, 8x8) at a tiny budget:
the task folder, its figures, claims and verdict row, reuse on a re-run, two folders as domains, one image
through a trained model, and bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from .helpers import run

FAST = ["--steps", "4", "--images", "24", "--set", "width=8", "--set", "latent_dim=8", "-q"]


@pytest.fixture(scope="module")
def translate_run(tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("translate") / "run"
    argv = ["task", "translate", "--data", "digits", "--source", "0", "--target", "1", "--seeds", "2"]
    with pytest.raises(SystemExit) as e:
        main([*argv, "--out", str(out), *FAST])
    assert e.value.code == 0
    return out, argv


def test_every_arm_and_baseline_is_measured_both_ways(translate_run):
    out, _ = translate_run
    m = json.loads((out / "metrics.json").read_text())
    assert m["task"] == "translate" and m["data"]["kind"] == "domains"
    assert m["data"]["class_names"] == ["0", "1"]
    res = m["results"]
    assert res["domains"] == {"source": "0", "target": "1"} and res["images"] == {
        "forward": 24,
        "reverse": 24,
    }
    assert res["classifier"]["accuracy"] > 0.95  # 0 against 1 is easy: the classifier is a fair judge
    for direction in ("forward", "reverse"):
        table = res["directions"][direction]
        assert list(table) == ["input unchanged", "random target image", "cyclegan", "unit", "cvae"]
        for name in ("cyclegan", "unit", "cvae"):
            row = table[name]
            assert row["target_share"]["n"] == 2 and 0 <= row["target_share"]["mean"] <= 1
            assert row["fd"]["mean"] >= 0 and -1 <= row["content_ssim"]["mean"] <= 1
            assert 0 < row["cycle_psnr"]["mean"] < 100 and row["parameters"] > 0
        assert table["input unchanged"]["content_ssim"]["mean"] == pytest.approx(1.0)
        assert table["random target image"]["target_share"]["mean"] > 0.9
    assert [c["key"] for c in res["claims"]] == ["reach", "content"]
    assert all(c["verdict"] in {"holds", "does not hold", "inconclusive"} for c in res["claims"])
    v = m["verdicts"][0]
    assert v["use_case"] == "image-to-image translation" and v["winner"] in {"cyclegan", "unit", "cvae"}
    assert sorted(p.name for p in (out / "models").iterdir()) == [
        f"{a}-domains-seed{s}" for a in ("cvae", "cyclegan", "unit") for s in (0, 1)
    ]


def test_report_embeds_both_grids_and_the_plane(translate_run):
    out, _ = translate_run
    for name in ("translate-forward.png", "translate-reverse.png", "translation-plane.png"):
        assert (out / "figures" / name).is_file()
    grid = Image.open(out / "figures" / "translate-forward.png")
    assert grid.height > 6 * grid.width / 8  # 7 rows (inputs, then translation and cycle of 3 arms) of 8
    html = (out / "report.html").read_text()
    assert "Image-to-image translation" in html and html.count("data:image/png;base64,") == 3
    assert "reaches the target domain more convincingly" in html


def test_a_rerun_reuses_the_trained_models(translate_run, capsys):
    out, argv = translate_run
    weights = {p: p.stat().st_mtime_ns for p in (out / "models").glob("*/model.safetensors")}
    code, _, err = run([*argv, "--out", out, *FAST], capsys)  # entered again only with --resume
    assert code == 2 and "already holds this" in err and "--resume" in err
    code, text, _ = run([*argv, "--out", out, *FAST, "--resume"], capsys)
    assert code == 0 and "cyclegan: target_share" in text
    assert {p: p.stat().st_mtime_ns for p in weights} == weights
    # other settings into the same folder: refused, nothing changed
    code, _, err = run([*argv[:-2], "--seeds", "3", "--out", out, *FAST, "--resume"], capsys)
    assert code == 2 and "other settings" in err and "--seeds" in err


def test_translate_one_image_and_its_notes(translate_run, tmp_path, capsys, digits):
    out, _ = translate_run
    zero = digits.x_test[digits.y_test == 0][0, 0].numpy()
    Image.fromarray((zero * 255).astype(np.uint8)).resize((16, 16)).convert("RGB").save(tmp_path / "zero.png")
    code, text, _ = run(["translate", out, tmp_path / "zero.png", "--out", tmp_path / "one.png"], capsys)
    assert code == 0 and "cyclegan: " in text and "translated 0 → 1" in text
    assert "is colour; converted to gray (luma)" in text and "resized to the model's 8x8" in text
    assert Image.open(tmp_path / "one.png").size == (8, 8)
    args = ["translate", out, tmp_path / "zero.png", "--reverse", "--model", "cvae", "-o", tmp_path / "r.png"]
    code, text, _ = run(args, capsys)
    assert code == 0 and "cvae: " in text and "translated 1 → 0" in text
    code, _, err = run(["translate", out, tmp_path / "missing.png", "-o", tmp_path / "m.png"], capsys)
    assert code == 2 and "does not exist" in err and not (tmp_path / "m.png").exists()


def _folder(root, name, images, mode):
    folder = root / name
    folder.mkdir()
    for i, a in enumerate(images):
        Image.fromarray((a * 255).astype(np.uint8)).convert(mode).save(folder / f"{i}.png")
    return folder


def test_two_folders_as_the_domains(tmp_path, capsys, digits):
    zeros = _folder(tmp_path, "zeros", digits.x_train[digits.y_train == 0][:40, 0].numpy(), "L")
    ones = _folder(tmp_path, "ones", digits.x_train[digits.y_train == 1][:30, 0].numpy(), "RGB")
    out = tmp_path / "run"
    args = ["task", "translate", "--source", zeros, "--target", ones, "--models", "cvae", "--seeds", "1"]
    code, text, err = run([*args, "--out", out, *FAST], capsys)
    assert code == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["data"]["class_names"] == ["zeros", "ones"] and m["data"]["shape"] == [3, 8, 8]
    assert m["results"]["images"] == {"forward": 8, "reverse": 6}  # the folders' own 20 % test splits


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--data", "digits", "--source", "3", "--target", "3"], "name the same classes"),
        (["--data", "digits", "--source", "3", "--target", "Ankle boot"], "no class matches the --target"),
        (["--data", "digits", "--source", "3,4", "--target", "4"], "is in both --source and --target"),
        (["--data", "digits", "--source", "3"], "give both --source and --target"),
        (["--source", "no/such/folder", "--target", "other"], "--source no/such/folder does not exist"),
        (
            ["--data", "digits", "--source", "0", "--target", "1", "--models", "dcgan"],
            "dcgan cannot translate",
        ),
        (
            ["--data", "digits", "--source", "0", "--target", "1", "--images", "1"],
            "--images must be at least 2",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(args, needle, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", "translate", *args, "--out", out, "--steps", "2"], capsys)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_an_empty_domain_folder_is_refused(tmp_path, capsys, digits):
    zeros = _folder(tmp_path, "zeros", digits.x_train[digits.y_train == 0][:10, 0].numpy(), "L")
    (tmp_path / "empty").mkdir()
    out = tmp_path / "run"
    args = ["task", "translate", "--source", zeros, "--target", tmp_path / "empty", "--out", out]
    code, _, err = run([*args, "--steps", "2"], capsys)
    assert code == 2 and "--target: no images found" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
