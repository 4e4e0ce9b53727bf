"""`--metadata` on the command line: a bad file is one line and exit code 2, before anything is written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from .helpers import run


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": rng.normal(size=40), "b": rng.integers(0, 3, 40), "key": range(40)}).to_csv(
        path, index=False
    )
    return path


@pytest.mark.parametrize(
    "content, needle",
    [
        ("{not json", "is not valid JSON"),
        (json.dumps({"columns": {"zz": {"sdtype": "id"}}}), "names column(s) 'zz' that t does not have"),
        (json.dumps({"columns": {"a": {"sdtype": "text"}}}), "use one of numerical, categorical, boolean"),
    ],
)
@pytest.mark.parametrize("command", [["task", "synthesize"], ["compare"]])
def test_bad_metadata_is_one_line_and_writes_nothing(command, content, needle, csv, tmp_path, capsys):
    meta = tmp_path / "meta.json"
    meta.write_text(content)
    out = tmp_path / "run"
    code, _, err = run([*command, "--data", csv, "--metadata", meta, "--out", out, "--epochs", "1"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert needle in err
    assert not out.exists()


def test_metadata_is_for_tables(tmp_path, capsys):
    code, _, err = run(["compare", "--metadata", tmp_path / "m.json", "--out", tmp_path / "r"], capsys)
    assert code == 2 and "--metadata and --rows apply to tables" in err


def test_a_synthesized_table_gets_fresh_ids_and_is_scored_without_them(csv, tmp_path, capsys):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"columns": {"key": {"sdtype": "id"}, "b": {"sdtype": "numerical"}}}))
    out = tmp_path / "run"
    argv = ["task", "synthesize", "--data", csv, "--metadata", meta, "--out", out, "--epochs", "1"]
    code, _, err = run([*argv, "--seeds", "1", "--batch-size", "16", "--rows", "30", "-q"], capsys)
    assert code == 0, err
    kinds = json.loads((out / "metrics.json").read_text())["results"]["data"]["kinds"]
    assert kinds == {"a": "continuous", "b": "continuous"}  # b declared numerical; key never trained on
    for model in ("tabular-vae", "tabular-gan"):
        rows = pd.read_csv(out / "synthetic" / f"{model}-seed0.csv")
        assert list(rows.columns) == ["a", "b", "key"] and rows["key"].tolist() == list(range(40, 70))
    code, _, err = run(["synthesize", out, "-n", "5", "--out", tmp_path / "s.csv"], capsys)
    assert code == 0, err
    assert pd.read_csv(tmp_path / "s.csv")["key"].tolist() == [40, 41, 42, 43, 44]
