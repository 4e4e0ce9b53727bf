"""ganvae's quality score against sdmetrics' own QualityReport, the definition it claims to follow.

sdmetrics is a test-only dependency (the `dev` extra; it pulls the BUSL-licensed `copulas`, which ganvae
must not need at run time), so these tests skip where it is not installed. The tables are built here with
a fixed seed: numbers with a strong and a weak correlation, categories tied to a number and independent
ones, a boolean, a datetime, missing values in a number and a category.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from ganvae.data.tables.kinds import infer_kinds
from ganvae.metrics.tabular import column_shapes, pair_trends, quality

sdmetrics = pytest.importorskip("sdmetrics")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # the single-table report is deprecated, not gone
    from sdmetrics.reports.single_table import QualityReport

SDTYPES = {
    "continuous": "numerical",
    "categorical": "categorical",
    "boolean": "boolean",
    "datetime": "datetime",
}


def _table(seed: int, n: int, *, missing: bool, drift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n) + drift
    z = rng.exponential(size=n)
    c = np.where(x + 0.5 * rng.normal(size=n) > drift, "hi", "lo").astype(object)
    c[rng.random(n) < 0.2] = "mid"
    frame = pd.DataFrame({
        "x": x,
        "y": y,
        "z": z,
        "c": c,
        "d": rng.choice(["a", "b", "c", "d"], n).astype(object),
        "f": z + drift * rng.normal(size=n) > 1.0,
        "g": rng.choice(["u", "v", "w"], n).astype(object),
        "t": pd.to_datetime("2020-01-01") + pd.to_timedelta(np.round(90 * x + 40 * rng.normal(size=n)), "D"),
    })  # fmt: skip
    if missing:
        frame.loc[rng.random(n) < 0.1, "y"] = np.nan
        frame.loc[rng.random(n) < 0.1, "d"] = None
    return frame


def _sdmetrics(real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str]):
    columns = {c: {"sdtype": SDTYPES[k]} for c, k in kinds.items()}
    for c, k in kinds.items():
        if k == "datetime":
            columns[c]["datetime_format"] = "%Y-%m-%d"
    report = QualityReport()
    report.generate(real, synth, {"columns": columns}, verbose=False)
    return report


@pytest.mark.parametrize("missing", [False, True])
def test_quality_equals_sdmetrics_quality_report(missing):
    real, synth = _table(0, 600, missing=missing), _table(1, 500, missing=missing, drift=0.4)
    kinds = infer_kinds(real)  # the metadata, from ganvae's own column kinds
    assert kinds["f"] == "boolean" and kinds["t"] == "datetime" and kinds["c"] == "categorical"
    report = _sdmetrics(real, synth, kinds)
    ours = quality(real, synth, kinds)
    props = report.get_properties().set_index("Property")["Score"]

    # Column pair trends: the same pairs count, each with the same score and real trend, NaN or not.
    details = report.get_details("Column Pair Trends").to_dict("records")
    pairs = {p["columns"]: p for p in pair_trends(real, synth, kinds)}
    assert len(details) == len(pairs) == 28
    for row in details:
        name = (row["Column 1"], row["Column 2"])
        p = pairs[name]
        real_trend = row["Real Correlation" if p["measure"] == "pearson" else "Real Association"]
        assert p["real"] == pytest.approx(real_trend, abs=1e-9), name
        assert p["counts"] == bool(row["Meets Threshold?"]), name
        if p["counts"]:
            assert p["score"] == pytest.approx(row["Score"], abs=1e-9), name
    assert 3 <= ours["pairs_counted"] < ours["pairs"]  # the thresholds leave some pairs out, not all
    assert ours["column_pair_trends"] == pytest.approx(props["Column Pair Trends"], abs=1e-9)

    shapes = report.get_details("Column Shapes").set_index("Column")["Score"]
    mine = column_shapes(real, synth, kinds)
    with_nan = {c for c in kinds if real[c].isna().any() or synth[c].isna().any()}
    assert with_nan == ({"y", "d"} if missing else set())
    for c in kinds:
        if c not in with_nan:
            assert mine[c] == pytest.approx(shapes[c], abs=1e-9), c
    if not missing:
        assert ours["column_shapes"] == pytest.approx(props["Column Shapes"], abs=1e-9)
        assert ours["score"] == pytest.approx(report.get_score(), abs=1e-9)
    else:
        # By design (module docstring): sdmetrics drops NaN from a column's shape, ganvae counts the
        # missing rate too; without the NaN rows the two agree again.
        for c in with_nan:
            assert mine[c] != pytest.approx(shapes[c], abs=1e-6)
            r, s = real[[c]].dropna(), synth[[c]].dropna()
            assert column_shapes(r, s, {c: kinds[c]})[c] == pytest.approx(shapes[c], abs=1e-9)


def test_no_pair_with_a_real_trend_leaves_column_shapes_alone():
    rng = np.random.default_rng(3)
    real = pd.DataFrame(
        {"a": rng.normal(size=300), "b": rng.normal(size=300), "c": rng.choice(["p", "q"], 300)}
    )
    synth = real.assign(a=rng.normal(1.0, 1.0, 300))
    kinds = {"a": "continuous", "b": "continuous", "c": "categorical"}
    report = _sdmetrics(real, synth, kinds)
    ours = quality(real, synth, kinds)
    assert ours["pairs_counted"] == 0 and np.isnan(ours["column_pair_trends"])
    assert ours["score"] == pytest.approx(report.get_score(), abs=1e-9) == ours["column_shapes"]
