"""Known answers for the table verdicts (`ganvae.tasks.synthesize.summarise`, rules in
`ganvae.experiment.table_verdicts`), with stand-in "models" whose rows are known: a copier (training rows),
an honest one (fresh rows of the same distribution, which no model saw), and garbage (fresh rows pushed far
off the data). Every figure is computed by the real metrics, only the training is skipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganvae.evaluate.tables import evaluate_rows, fidelity
from ganvae.experiment.table_verdicts import privacy_verdict, utility_verdict
from ganvae.tasks.synthesize import REAL, summarise

KINDS = {"x": "continuous", "y": "continuous", "z": "continuous", "c": "categorical", "f": "boolean"}


def _rows(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=n)
    return pd.DataFrame({
        "x": x,
        "y": 0.8 * x + 0.6 * rng.normal(size=n),
        "z": rng.exponential(size=n),
        "c": np.where(x + 0.5 * rng.normal(size=n) > 0, "hi", "lo"),
        "f": rng.random(n) < 0.3,
    })  # fmt: skip


@pytest.fixture(scope="module")
def splits():
    rng = np.random.default_rng(0)
    train, holdout = _rows(rng, 1500), _rows(rng, 600)
    fresh = [_rows(rng, 1500) for _ in range(2)]
    return train, holdout, fresh


def _stand_ins(splits) -> dict[str, list[pd.DataFrame]]:
    train, _, fresh = splits
    garbage = []
    for seed, f in enumerate(fresh):
        g = f.copy()
        for c in ("x", "y", "z"):
            g[c] = g[c] * 3 + 25.0  # far from every training row, and the wrong shape
        g["c"] = np.random.default_rng(seed).permutation(g["c"].to_numpy())  # the x - c trend gone
        garbage.append(g)
    copies = [train.sample(frac=1.0, random_state=s).reset_index(drop=True) for s in range(2)]
    return {"copier": copies, "honest": list(fresh), "garbage": garbage}


def _privacy(splits, vae: str, gan: str) -> dict:
    train, holdout, _ = splits
    rows = _stand_ins(splits)
    # as run_synthesize does: the real test split scored like a model, the fidelity ceiling
    runs = [{"model": REAL, "family": "reference", "seed": 0, **fidelity(train, holdout, KINDS)}]
    runs += [
        {
            "model": name,
            "family": family,
            "seed": seed,
            **evaluate_rows(train, synth, holdout, KINDS, None, seed),
        }
        for name, family in ((vae, "vae"), (gan, "gan"))
        for seed, synth in enumerate(rows[name])
    ]
    out = summarise(runs, None)
    (row,) = [v for v in out["verdicts"] if v["use_case"] == "tabular synthetic data: privacy"]
    return {"row": row, "models": out["models"], "rule": out.get("privacy_rule")}


def test_a_model_that_copies_training_rows_loses_privacy(splits):
    out = _privacy(splits, vae="copier", gan="honest")
    m = out["models"]
    assert m["copier"]["dcr_ratio"]["mean"] == 0.0 and m["copier"]["exact_copies"]["mean"] == 1.0
    assert m["honest"]["dcr_ratio"]["mean"] == pytest.approx(1.0, abs=0.1)
    # The copier's fidelity to the training rows is perfect, above unseen real rows' (the reference then):
    # the honest rows are as faithful as those, so both are judged.
    assert m["copier"]["quality"]["mean"] == pytest.approx(1.0) and out["rule"]["capped"]
    assert out["rule"]["eligible"] == ["copier", "honest"]
    assert out["row"]["winner"] == "honest" and out["row"]["clear"]


def test_garbage_far_from_the_data_does_not_win_privacy(splits):
    """The old verdict, highest DCR ratio wins, gave privacy to the garbage: its rows are far from the
    training rows because they are far from the data."""
    out = _privacy(splits, vae="honest", gan="garbage")
    m = out["models"]
    assert m["garbage"]["dcr_ratio"]["mean"] > 3 * m["honest"]["dcr_ratio"]["mean"]
    assert out["row"]["winner"] == "honest"
    assert out["rule"]["excluded"] == {"garbage": m["garbage"]["quality"]["mean"]}


def test_a_copier_against_garbage_names_no_privacy_winner(splits):
    out = _privacy(splits, vae="copier", gan="garbage")
    assert out["row"]["winner"] is None
    assert "copier" in out["row"]["note"] and "closer to the training rows" in out["row"]["note"]


def _model(family: str, **figures: tuple[float, float]) -> dict:
    return {
        "family": family,
        "seeds": 2,
        **{k: {"mean": m, "std": s, "n": 2, "values": [m - s, m + s]} for k, (m, s) in figures.items()},
    }


def test_models_at_the_ideal_tie_on_privacy():
    """Two faithful models at DCR ratio ~1 and ~1.8: a larger ratio is not more privacy, no winner."""
    models = {
        "tabular-vae": _model("vae", quality=(0.93, 0.01), dcr_ratio=(1.8, 0.05), dcr_shortfall=(0.0, 0.0),
                              dcr_tolerance=(0.05, 0.0)),
        "tabular-gan": _model("gan", quality=(0.91, 0.01), dcr_ratio=(0.98, 0.02), dcr_shortfall=(0.02, 0.02),
                              dcr_tolerance=(0.05, 0.0)),
    }  # fmt: skip
    row, facts = privacy_verdict(models)
    assert row["winner"] is None and "no winner" in row["note"] and facts["passes"] == {
        "tabular-vae": True, "tabular-gan": True
    }  # fmt: skip


def _utility_runs(real: float, synthetic: dict[str, list[float]], learns: bool) -> list[dict]:
    runs = []
    for name, values in synthetic.items():
        for seed, v in enumerate(values):
            u = {
                "primary": "r2",
                "real": {"r2": real},
                "synthetic": {"r2": v},
                "chance": {"r2": -0.002},
                "learns": {"real": learns, "synthetic": False},
            }
            runs.append({"model": name, "family": name.split("-")[1], "seed": seed, "utility": u,
                         "utility_gap": v - real})  # fmt: skip
    return runs


def test_utility_at_chance_names_no_winner():
    """The reported case: real R² -0.011, synthetic -0.059 and -0.071 came out as ratios 5.2 and 6.2, and
    the worse model won. As differences the better one ranks first; and since the real-data model does not
    beat chance, no winner is named at all."""
    runs = _utility_runs(-0.011, {"tabular-vae": [-0.058, -0.060], "tabular-gan": [-0.070, -0.072]}, False)
    models = {
        name: _model(name.split("-")[1], utility_gap=(float(np.mean([r["utility_gap"] for r in rs])), 0.001))
        for name in ("tabular-vae", "tabular-gan")
        for rs in [[r for r in runs if r["model"] == name]]
    }
    row, facts = utility_verdict(models, runs, "target")
    assert row["winner"] is None and not facts["real_learns"]
    assert "does not predict target clearly better than chance" in row["note"]
    assert "no model trained on synthetic rows does either" in row["note"]
    # The same figures where the real model does learn: the smaller loss wins
    runs = _utility_runs(0.4, {"tabular-vae": [0.35, 0.37], "tabular-gan": [0.2, 0.22]}, True)
    models = {"tabular-vae": _model("vae", utility_gap=(-0.04, 0.01)),
              "tabular-gan": _model("gan", utility_gap=(-0.19, 0.01))}  # fmt: skip
    row, facts = utility_verdict(models, runs, "target")
    assert row["winner"] == "tabular-vae" and row["value"] == -0.04 and row["clear"]
