"""`--search 2` end to end beyond images, at a tiny budget: `ganvae compare` on a CSV table (validation
quality) and `ganvae task recommend` on a small ratings file (validation NDCG@100). The seeds train each
model's best configuration, metrics.json and the report show the search, and a rerun runs no trial
again."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .helpers import run

TABLE = ["compare", "--search", "2", "--steps", "6", "--seeds", "1", "--batch-size", "60"]
TABLE_SET = ["--set", "latent_dim=32", "--set", "width=32", "--set", "width_g=64", "--set", "width_d=64"]


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    path = tmp_path_factory.mktemp("tables") / "wine.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def table_search(wine_csv, tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("search") / "table"
    with pytest.raises(SystemExit) as e:
        main(
            [
                str(a)
                for a in [*TABLE, "--data", wine_csv, "--target", "target", *TABLE_SET, "--out", out, "-q"]
            ]
        )
    assert e.value.code == 0
    return out


def _seed_config(folder, model):
    return json.loads((folder / "models" / f"{model}-seed0" / "config.json").read_text())["config"]


def test_compare_on_a_table_searches_each_model_on_validation_quality(table_search):
    m = json.loads((table_search / "metrics.json").read_text())
    search = m["results"]["search"]
    assert (table_search / "study.db").is_file()
    assert search["metric"] == "quality" and search["direction"] == "maximize"
    for model in ("tabular-vae", "tabular-gan"):
        rec = search["models"][model]
        assert rec["counts"]["complete"] + rec["counts"]["pruned"] == 2
        best = rec["best"]["params"]
        config = _seed_config(table_search, model)
        assert {k: config[k] for k in best} == best  # the seed trained the best trial's configuration
    html = (table_search / "report.html").read_text()
    assert "Hyperparameter search (validation quality, higher is better)" in html
    assert "Claims 4 and 9" in html and "not measured here" in html


def test_a_table_rerun_runs_no_trial_again(table_search, wine_csv, capsys):
    argv = [*TABLE, "--data", wine_csv, "--target", "target", *TABLE_SET, "--out", table_search, "--resume"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "search tabular-vae: trial" not in out and "tabular-vae: searched: 2 trials" in out


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    """u.data: 120 users in 3 groups, 120 items in 3 blocks, each user liking half of their block."""
    rng = np.random.default_rng(1)
    lines = [
        f"{u + 1}\t{i + 1}\t5\t0"
        for u in range(120)
        for i in range(120)
        if rng.random() < (0.5 if i // 40 == u % 3 else 0.03)
    ]
    path = tmp_path_factory.mktemp("ratings") / "u.data"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_task_recommend_searches_each_recommender_on_validation_ndcg(ratings, tmp_path, capsys):
    out = tmp_path / "rec"
    argv = ["task", "recommend", "--data", ratings, "--models", "mult-vae,popularity", "--search", "2"]
    argv += ["--steps", "6", "--seeds", "1", "--set", "hidden=32", "--set", "latent_dim=16", "--out", out]
    code, printed, err = run(argv, capsys)
    assert code == 0, err
    assert "search mult-vae: trial 1 NDCG@100" in printed and "mult-vae: searched: 2 trials" in printed
    m = json.loads((out / "metrics.json").read_text())
    rec = m["results"]["search"]["models"]["mult-vae"]
    assert set(m["results"]["search"]["models"]) == {"mult-vae"}  # the popularity baseline is not tuned
    best = rec["best"]["params"]
    assert {k: _seed_config(out, "mult-vae")[k] for k in best} == best
    html = (out / "report.html").read_text()
    assert "Hyperparameter search (validation NDCG@100, higher is better)" in html
