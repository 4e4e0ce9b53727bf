"""`ganvae compare` on a CSV table and `ganvae synthesize` end to end, on real data (scikit-learn's wine
table written as a CSV with a text column, a boolean and missing values), and bad input: a column of all
NaN, a target that does not exist, a corrupt file, conditions that cannot be met."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from .helpers import run


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame.copy()
    frame["cultivar"] = np.asarray(bunch.target_names)[bunch.target]
    frame = frame.drop(columns="target")
    frame["strong"] = frame["alcohol"] > 13.0
    frame.loc[frame.index % 9 == 0, "magnesium"] = np.nan  # missing values the transformer must restore
    path = tmp_path_factory.mktemp("tables") / "wine.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def table_run(wine_csv, tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("synth") / "run"
    argv = ["compare", "--data", wine_csv, "--target", "cultivar", "--steps", "30", "--seeds", "2"]
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in [*argv, "--batch-size", "60", "-q", "--out", out]])
    assert e.value.code == 0
    return out


def test_compare_on_a_csv_reports_both_families(table_run):
    m = json.loads((table_run / "metrics.json").read_text())
    assert m["task"] == "synthesize" and m["results"]["data"]["target"] == "cultivar"
    models = m["results"]["models"]
    assert {"tabular-vae", "tabular-gan", "real (test split)"} == set(models)
    for name in ("tabular-vae", "tabular-gan"):
        assert models[name]["seeds"] == 2
        q = models[name]["quality"]["mean"]
        assert 0.2 < q < models["real (test split)"]["quality"]["mean"] + 0.05
        assert 0 <= models[name]["exact_copies"]["mean"] <= 1
    verdicts = {v["use_case"].split(": ")[1]: v for v in m["verdicts"]}
    assert set(verdicts) == {"fidelity", "utility", "privacy"}
    # utility as a difference, with the real-data model and chance beside it; privacy by the eligibility
    # rule, never by the highest DCR ratio
    assert "synthetic − real macro F1" in verdicts["utility"]["metric"]
    rule = m["results"]["utility_rule"]
    assert rule["score"] == "f1_macro" and rule["real"] > rule["chance"]
    gaps = {k: models[k]["utility_gap"]["mean"] for k in ("tabular-vae", "tabular-gan")}
    if verdicts["utility"]["winner"]:
        assert verdicts["utility"]["value"] == max(gaps.values())
    assert "DCR shortfall" in verdicts["privacy"]["metric"]
    privacy = m["results"]["privacy_rule"]
    assert set(privacy["eligible"]) | set(privacy["excluded"]) == {"tabular-vae", "tabular-gan"}
    assert verdicts["privacy"]["winner"] in (None, *privacy["eligible"])
    section = m["section"]
    assert any(f.startswith("Privacy: ") and "Judged: models within" in f for f in section["findings"])
    assert any(f.startswith("Pair trends: the strongest real") for f in section["findings"])
    pairs = next(t for t in section["tables"] if "worst-kept column pairs" in t["title"])
    assert pairs["rows"] and {r[0] for r in pairs["rows"]} <= {
        "real (test split)",
        "tabular-vae",
        "tabular-gan",
    }
    run = next(r for r in m["results"]["runs"] if r["model"] == "tabular-vae")
    n = len(m["results"]["data"]["kinds"])
    assert 0 < run["pairs"]["counted"] <= run["pairs"]["total"] == n * (n - 1) // 2
    synthetic = pd.read_csv(table_run / "synthetic" / "tabular-gan-seed0.csv")
    assert list(synthetic.columns) == list(
        pd.read_csv(table_run / "synthetic" / "tabular-vae-seed1.csv").columns
    )
    html = (table_run / "report.html").read_text()
    assert "Tabular synthetic data" in html and "figures/" not in html  # figures embedded
    assert (table_run / "figures" / "columns.png").stat().st_size > 5000


def test_synthesize_writes_rows_with_the_table_types(table_run, wine_csv, tmp_path, capsys):
    out = tmp_path / "rows.csv"
    code, text, _ = run(
        ["synthesize", table_run, "-n", "250", "--out", out, "--model", "tabular-gan"], capsys
    )
    assert code == 0 and "250 rows" in text
    rows, real = pd.read_csv(out), pd.read_csv(wine_csv)
    assert list(rows.columns) == list(real.columns) and len(rows) == 250
    assert set(rows["cultivar"]) <= set(real["cultivar"]) and rows["strong"].dtype == bool
    code, _, _ = run(
        ["synthesize", table_run, "-n", "20", "--out", out, "--condition", "cultivar=class_1"], capsys
    )
    assert code == 0 and (pd.read_csv(out)["cultivar"] == "class_1").all()
    code, _, err = run(["synthesize", table_run, "--out", out, "--condition", "cultivar=class_9"], capsys)
    assert code == 2 and err.count("\n") == 1 and "class_9" in err


def test_bad_tables_exit_2_and_write_nothing(wine_csv, tmp_path, capsys):
    out = tmp_path / "run"
    frame = pd.read_csv(wine_csv)
    frame["empty"] = np.nan
    nan_csv = tmp_path / "nan.csv"
    frame.to_csv(nan_csv, index=False)
    code, _, err = run(["compare", "--data", nan_csv, "--steps", "2", "--out", out, "-q"], capsys)
    assert code == 2 and err.count("\n") == 1 and "empty" in err
    code, _, err = run(["compare", "--data", wine_csv, "--target", "price", "--out", out, "-q"], capsys)
    assert code == 2 and err.count("\n") == 1 and "price" in err
    corrupt = tmp_path / "corrupt.csv"
    corrupt.write_bytes(b'a,b\n1,2\n\x00\xff\xfe,"unterminated\n')
    code, _, err = run(["compare", "--data", corrupt, "--out", out, "-q"], capsys)
    assert code == 2 and err.count("\n") == 1
    code, _, err = run(["compare", "--data", wine_csv, "--models", "vae", "--out", out, "-q"], capsys)
    assert code == 2 and "vae is a model of images" in err
    assert not out.exists()


def test_info_on_a_table_model_speaks_of_rows(table_run, capsys):
    code, out, _ = run(["info", table_run / "models" / "tabular-vae-seed0"], capsys)
    assert code == 0 and "on rows of" in out and "rows/s" in out and "categorical=sample" in out
    assert "changeable when drawing (ganvae synthesize --set): categorical" in out


def test_synthesize_changes_a_sampling_setting_only(table_run, tmp_path, capsys):
    config = table_run / "models" / "tabular-vae-seed0" / "config.json"
    before = config.read_bytes()
    drawn, modal = tmp_path / "drawn.csv", tmp_path / "modal.csv"
    base = ["synthesize", table_run / "models" / "tabular-vae-seed0", "-n", "300", "--seed", "3"]
    assert run([*base, "--out", drawn], capsys)[0] == 0
    assert run([*base, "--out", modal, "--set", "categorical=argmax"], capsys)[0] == 0
    # The same seed decoded two ways; after 30 steps the decoder's cultivar logits barely depend on the
    # code, so the argmax rows pile onto fewer cultivars than the drawn ones
    a, b = pd.read_csv(drawn)["cultivar"], pd.read_csv(modal)["cultivar"]
    assert not a.equals(b) and b.value_counts().max() >= a.value_counts().max()
    assert config.read_bytes() == before  # a draw setting, not a change to the saved model
    written = modal.read_bytes()
    code, _, err = run([*base, "--out", modal, "--set", "latent_dim=4"], capsys)
    assert code == 2 and err.count("\n") == 1 and "cannot change after training" in err
    code, _, err = run([*base, "--out", modal, "--set", "categorical=mode"], capsys)
    assert code == 2 and err.count("\n") == 1 and "'sample' or 'argmax'" in err
    gan = ["synthesize", table_run, "--model", "tabular-gan", "--out", modal, "--set", "categorical=argmax"]
    code, _, err = run(gan, capsys)
    assert code == 2 and err.count("\n") == 1 and "tabular-gan has no setting categorical" in err
    assert modal.read_bytes() == written  # refused draws leave the file as it was
