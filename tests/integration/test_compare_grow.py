"""Adding to a comparison: `compare --resume` with more seeds and another model trains only the runs that
are missing, and measures and reports over every run."""

from __future__ import annotations

import json

from .helpers import run

FAST = ["--steps", "4", "--samples", "40", "--recon-images", "8", "--batch-size", "32", "-q"]
SMALL = ["--set", "width=8", "--set", "latent_dim=8"]


def _files(folder):
    return {
        p.parent.name: (p.stat().st_mtime_ns, p.read_bytes())
        for p in folder.glob("models/*/model.safetensors")
    }


def test_more_seeds_and_a_model_train_only_the_missing_runs(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, _, err = run(["compare", "--models", "vae", "--seeds", "1", "--out", out, *FAST, *SMALL], capsys)
    assert code == 0, err
    before = _files(out)
    first_report = (out / "report.html").read_text()
    evaluated = (out / "models" / "vae-seed0" / "eval.json").read_bytes()
    grown = ["compare", "--models", "vae,dcgan", "--seeds", "2", "--out", out, *FAST, *SMALL]
    code, _, err = run(grown, capsys)  # without --resume: refused, saying --resume adds them
    assert code == 2 and "with fewer runs (--models: vae there, vae,dcgan asked; --seeds: 1 there, 2" in err
    assert "pass --resume to add the new runs" in err
    code, _, err = run([*grown, "--resume"], capsys)
    assert code == 0, err
    after = _files(out)
    assert sorted(after) == ["dcgan-seed0", "dcgan-seed1", "vae-seed0", "vae-seed1"]
    assert after["vae-seed0"] == before["vae-seed0"]  # not trained again: same bytes, same mtime
    assert (out / "models" / "vae-seed0" / "eval.json").read_bytes() == evaluated  # nor measured again
    metrics = json.loads((out / "metrics.json").read_text())
    assert sorted((r["model"], r["seed"]) for r in metrics["runs"]) == [
        ("dcgan", 0),
        ("dcgan", 1),
        ("vae", 0),
        ("vae", 1),
    ]
    assert metrics["seeds"] == 2 and metrics["summary"]["vae"]["fd"]["n"] == 2
    assert json.loads((out / "config.json").read_text())["compare"]["models"] == ["vae", "dcgan"]
    assert "dcgan" not in first_report and "dcgan" in (out / "report.html").read_text()  # rewritten
