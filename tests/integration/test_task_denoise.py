"""`ganvae task denoise` end to end on real digits at a tiny budget, bad input included."""

from __future__ import annotations

import json

import pytest

from .helpers import run

FAST = [
    "--steps",
    "20",
    "--images",
    "24",
    "--set",
    "inversion_steps=5",
    "--set",
    "inversion_restarts=1",
    "-q",
]


@pytest.fixture(scope="module")
def denoise_run(tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("denoise") / "run"
    with pytest.raises(SystemExit) as e:
        main(["task", "denoise", "--out", str(out), *FAST])
    assert e.value.code == 0
    return out


def test_psnr_and_ssim_per_corruption_per_model(denoise_run):
    m = json.loads((denoise_run / "metrics.json").read_text())
    assert m["task"] == "denoise" and m["results"]["images"] == 24
    noise = m["results"]["noise"]
    assert noise == ["gaussian:0.1", "gaussian:0.2", "gaussian:0.4", "salt-pepper:0.1", "mask:0.25"]
    methods = m["results"]["methods"]
    assert set(methods) == {"noisy input", "median 3x3", "blur σ=1", "vae", "dvae", "dcgan"}
    for row in methods.values():
        for key in noise:
            assert 0 < row["psnr"][key]["mean"] < 100 and -1 <= row["ssim"][key]["mean"] <= 1
    # the unrestored input gets worse as σ grows: the corruption levels are real
    noisy = [methods["noisy input"]["psnr"][k]["mean"] for k in noise[:3]]
    assert noisy[0] > noisy[1] > noisy[2]
    v = m["verdicts"][0]
    assert v["use_case"] == "reconstruction / denoising" and v["winner"] in {"vae", "dvae", "dcgan"}
    titles = [t["title"] for t in m["section"]["tables"]]
    assert "PSNR (dB) against the clean images" in titles and "SSIM against the clean images" in titles


def test_report_embeds_the_grids_and_the_level_plot(denoise_run):
    names = ["denoise-gaussian-0.1.png", "denoise-salt-pepper-0.1.png", "denoise-mask-0.25.png"]
    for name in [*names, "psnr-gaussian.png"]:
        assert (denoise_run / "figures" / name).is_file()
    html = (denoise_run / "report.html").read_text()
    assert "Denoising" in html and html.count("data:image/png;base64,") == 6  # 5 grids + the level plot


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--noise", "gaussian:0.1,blur:0.2"], "known corruptions: gaussian, salt-pepper, mask"),
        (["--noise", "gaussian:1.5"], "must lie in (0, 1]"),
        (["--noise", "mask:0"], "must lie in (0, 1]"),
        (["--images", "0"], "--images"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(args, needle, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", "denoise", "--out", out, "--steps", "5", *args], capsys)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
