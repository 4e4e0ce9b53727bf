"""`ganvae compare --search 2` end to end on real digits at a tiny budget, SQLite study in the run folder:
the seeds train each model's best configuration, metrics.json and the report show the search, and a rerun
runs no trial again."""

from __future__ import annotations

import json
import re

import pytest

from .helpers import run

ARGS = [
    "compare",
    "--models",
    "vae,dcgan",
    "--search",
    "2",
    "--steps",
    "10",
    "--seeds",
    "2",
    "--samples",
    "50",
    "--recon-images",
    "8",
    "--batch-size",
    "32",
    "--set",
    "inversion_steps=5",
    "--set",
    "width=8",
]


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("search") / "run"
    with pytest.raises(SystemExit) as e:
        main([*ARGS, "--out", str(out), "-q"])
    assert e.value.code == 0
    return out


def test_the_seeds_train_the_best_configuration(searched):
    m = json.loads((searched / "metrics.json").read_text())
    assert (searched / "study.db").is_file()
    saved = json.loads((searched / "config.json").read_text())
    for model in ("vae", "dcgan"):
        rec = m["search"]["models"][model]
        c = rec["counts"]
        assert c["complete"] + c["pruned"] == 2 and c["running"] == 0
        assert "width" not in rec["space"] and rec["fixed"]["width"] == "8"  # --set fixes it: not searched
        best = rec["best"]["params"]
        assert saved["search"]["best"][model] == best
        for seed in (0, 1):  # each seed's model config is the best trial's
            config = json.loads((searched / "models" / f"{model}-seed{seed}" / "config.json").read_text())
            assert {k: config["config"][k] for k in best} == best and config["config"]["width"] == 8
        assert len(rec["stats"]["budget_curve"]) == 2 and rec["stats"]["n"] == 2
        assert "search_miss_share" in m["summary"][model]
    claims = {c["number"]: c for c in m["claims"]}
    assert claims[4]["evidence"] == claims[9]["evidence"] == "search"
    assert claims[1]["evidence"] == "seeds"


def test_the_report_shows_the_search(searched, capsys):
    html = (searched / "report.html").read_text()
    text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", html)
    assert 'id="search"' in text and "searched: 2 trials" in text
    assert "expected best FD after k trials" in text and "measured over the search" in text
    assert html.count("data:image/png;base64,") >= 10  # with the two search figures
    m = json.loads((searched / "metrics.json").read_text())
    for model, rec in m["search"][
        "models"
    ].items():  # whether the choice beat the defaults by more than noise
        margin = rec["stats"]["margin"]
        won = margin["best_is_defaults"] == (rec["best"]["number"] == 0)
        assert won and margin["defaults_value"] == rec["trials"][0]["value"], model
        said = "its own configuration (trial 0) won" if margin["best_is_defaults"] else "the best trial beat"
        assert f"{model}: {said}" in text
    code, out, _ = run(["report", searched, "--markdown"], capsys)
    assert code == 0 and "- vae: searched: 2 trials" in out


def test_a_rerun_runs_no_trial_again(searched, capsys):
    before = (searched / "models" / "vae-seed0" / "eval.json").stat().st_mtime
    code, out, err = run([*ARGS, "--out", searched, "--resume"], capsys)
    assert code == 0, err
    assert "search vae: trial" not in out  # the study already holds its 2 trials
    assert "vae: searched: 2 trials" in out  # the summary line
    assert (searched / "models" / "vae-seed0" / "eval.json").stat().st_mtime == before


def test_another_number_of_trials_refuses_the_folder(searched, capsys):
    args = [a if a != "2" else "3" for a in ARGS]
    code, _, err = run([*args, "--out", searched], capsys)
    assert code == 2 and "other settings" in err and "search" in err
