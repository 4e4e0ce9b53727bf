"""Tabular synthetic-data quality: does each column, and each pair of columns, look like the real data?

The definitions of SDMetrics' quality report (DataCebo; ``QualityReport`` of sdmetrics 0.32), reimplemented
here from its documentation and source; sdmetrics is only a test dependency, and
tests/unit/metrics/test_sdmetrics_parity.py checks these numbers against it:

- Column shapes: per column, 1 - KS statistic (continuous, datetime: ``KSComplement``) or 1 - total
  variation distance of the category frequencies (categorical, boolean: ``TVComplement``).
- Column pair trends: per pair, 1 - |r_real - r_synth| / 2 with **Pearson**'s r (on the rows where both
  are present) when both columns are numeric (``CorrelationSimilarity``), otherwise 1 - TVD of the pair's
  joint frequencies (``ContingencySimilarity``), a numeric column cut into 10 equal-width bins over *each
  frame's own* range (`histogram_codes`). A pair **counts** only when the real rows hold a trend to keep:
  |r_real| > 0.5, or Cramér's V of the real contingency table > 0.3 (SDMetrics' default thresholds); the
  property is the mean over the pairs that count. Averaging every pair instead, as ganvae did before,
  let the many unrelated pairs (whose similarity is near 1 whatever a model does) hide the lost trends.
- Quality score: the mean of the two property scores; column shapes alone when no pair counts.

Differences by design (elsewhere the numbers equal sdmetrics' to round-off):
- Missing values in column *shapes*: sdmetrics drops them; here NaN is a category of its own in discrete
  columns and, in a numeric column, a point mass below every value in the KS statistic, so the score also
  checks the missing rate (it equals plain 1 - KS without NaN and is at most 1 - |missing-rate
  difference|). Pair trends treat NaN as sdmetrics does: a category of its own in contingency tables, and
  in a binned number the top code, which the column's largest value shares (np.digitize's convention).
- sdmetrics scores contingency pairs of tables over 50,000 rows on an unseeded subsample; all rows here.
- sdmetrics counts a synthetic-only category as 1e-6 real rows in TVComplement; here as 0.

Utility (`utility`, train-synthetic-test-real) and privacy (`privacy`, distance to closest record) are in
`ganvae.metrics.tabular_utility` and `ganvae.metrics.tabular_privacy`, re-exported here.

>>> import pandas as pd
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b"]})
>>> quality(real, real, {"x": "continuous", "c": "categorical"})["score"]
1.0
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from ganvae.data.tables.kinds import DISCRETE_KINDS, NUMERIC_KINDS
from ganvae.metrics.frames import check_frames, histogram_codes, joint_codes, numeric_values
from ganvae.metrics.meta import declare
from ganvae.metrics.tabular_privacy import privacy
from ganvae.metrics.tabular_utility import utility

declare("quality", "quality score (SDMetrics' QualityReport)", better="higher", bounds=(0.0, 1.0))
declare("column_shapes", "column shapes", better="higher", bounds=(0.0, 1.0))
declare("pair_trends", "pair trends", better="higher", bounds=(0.0, 1.0))
declare("category_coverage", "category coverage", better="higher", bounds=(0.0, 1.0))

__all__ = [
    "category_coverage",
    "column_pair_trends",
    "column_shapes",
    "correlation_matrices",
    "cramers_v",
    "ks_statistic",
    "pair_trends",
    "privacy",
    "quality",
    "quality_of",
    "total_variation",
    "utility",
]

# SDMetrics' QualityReport defaults (sdmetrics.reports.utils): a pair counts in pair trends only when the
# real data's trend is at least this strong; weaker ones are noise that any model reproduces "perfectly".
CORRELATION_THRESHOLD = 0.5  # |Pearson r| of two numbers
ASSOCIATION_THRESHOLD = 0.3  # Cramér's V of a contingency table
PAIR_BINS = 10  # equal-width bins of a number paired with a category (ContingencySimilarity's)


def ks_statistic(real: np.ndarray, synth: np.ndarray) -> float:
    """Two-sample KS statistic of float arrays, NaN counted as a point mass below every value.

    Without NaN this is scipy.stats.ks_2samp's statistic: the largest gap between the two empirical CDFs.
    """
    real, synth = np.asarray(real, np.float64), np.asarray(synth, np.float64)
    gaps = []
    points = np.unique(np.concatenate([real[~np.isnan(real)], synth[~np.isnan(synth)]]))
    cdfs = []
    for x in (real, synth):
        present = np.sort(x[~np.isnan(x)])
        missing = 1.0 - len(present) / len(x)
        # F(t) = P(missing) + P(present and <= t); right-continuous, so the sup is reached at data points.
        ecdf = np.searchsorted(present, points, side="right") / max(len(present), 1)
        cdfs.append((missing, missing + (1.0 - missing) * ecdf))
    gaps.append(abs(cdfs[0][0] - cdfs[1][0]))
    if len(points):
        gaps.append(float(np.max(np.abs(cdfs[0][1] - cdfs[1][1]))))
    return float(max(gaps))


def total_variation(real_codes: np.ndarray, synth_codes: np.ndarray, n: int) -> float:
    """Total variation distance 1/2 sum |p - q| between the frequencies of integer codes in [0, n)."""
    p = np.bincount(real_codes, minlength=n) / len(real_codes)
    q = np.bincount(synth_codes, minlength=n) / len(synth_codes)
    return float(0.5 * np.abs(p - q).sum())


def column_shapes(real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str]) -> dict[str, float]:
    """Per column: 1 - KS (continuous, datetime) or 1 - TVD (categorical, boolean); 1 = same shape."""
    columns = check_frames(kinds, real=real, synth=synth)
    out = {}
    for c in columns:
        if kinds[c] in DISCRETE_KINDS:
            (r, s), n = joint_codes(real[c], synth[c])
            out[c] = 1.0 - total_variation(r, s, n)
        else:
            out[c] = 1.0 - ks_statistic(numeric_values(real[c], kinds[c]), numeric_values(synth[c], kinds[c]))
    return out


def correlation_matrices(
    real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(numeric column names, real Pearson matrix, synthetic Pearson matrix) for a difference heatmap.

    Each entry uses the rows where both columns are present; it is NaN when a column is constant there.
    """
    columns = check_frames(kinds, real=real, synth=synth)
    names = [c for c in columns if kinds[c] in NUMERIC_KINDS]
    mats = []
    for frame in (real, synth):
        values = pd.DataFrame({c: numeric_values(frame[c], kinds[c]) for c in names})
        mats.append(values.corr(method="pearson", min_periods=2).to_numpy(np.float64))
    return names, mats[0], mats[1]


def cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V (no continuity correction) of two integer-coded columns of one frame: 0 = independent,
    1 = one determines the other. NaN when either column takes a single value (no table to measure)."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    if min(na, nb) < 2:
        return float("nan")
    table = np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb).astype(np.float64)
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / n / (min(na, nb) - 1)))


def pair_trends(
    real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str], *, bins: int = PAIR_BINS
) -> list[dict[str, Any]]:
    """Every pair of columns (in column order) with its trend on both sides, as SDMetrics measures it.

    Each entry: ``columns`` (a, b), ``measure`` ("pearson" for two numbers, else "cramer"), ``real`` and
    ``synthetic`` (Pearson's r, or Cramér's V of the binned contingency table), ``score`` (correlation or
    contingency similarity, 1 = the same trend; NaN when undefined, e.g. a constant column) and
    ``counts`` (the real trend passes the threshold and the score is defined: the pair enters the mean).
    """
    columns = check_frames(kinds, real=real, synth=synth)
    names, real_corr, synth_corr = correlation_matrices(real, synth, kinds)
    where = {c: i for i, c in enumerate(names)}
    codes = {}
    for c in columns:
        if kinds[c] in DISCRETE_KINDS:
            codes[c] = joint_codes(real[c], synth[c])
        else:
            # Each frame on its own range (SDMetrics' choice): code k is the k-th tenth of that range.
            r, s = (histogram_codes(numeric_values(f[c], kinds[c]), bins) for f in (real, synth))
            codes[c] = ([r, s], bins + 2)
    out = []
    for a, b in itertools.combinations(columns, 2):
        if a in where and b in where:
            r, s = real_corr[where[a], where[b]], synth_corr[where[a], where[b]]
            score = 1.0 - abs(r - s) / 2.0
            entry = {"measure": "pearson", "real": float(r), "synthetic": float(s), "score": float(score)}
            counts = bool(abs(r) > CORRELATION_THRESHOLD)
        else:
            (ra, sa), na = codes[a]
            (rb, sb), nb = codes[b]
            v_real, v_synth = cramers_v(ra, rb), cramers_v(sa, sb)
            score = 1.0 - total_variation(ra * nb + rb, sa * nb + sb, na * nb)
            entry = {"measure": "cramer", "real": v_real, "synthetic": v_synth, "score": float(score)}
            counts = bool(v_real > ASSOCIATION_THRESHOLD)
        out.append({"columns": (a, b), **entry, "counts": counts and bool(np.isfinite(entry["score"]))})
    return out


def column_pair_trends(
    real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str], *, bins: int = PAIR_BINS
) -> dict[tuple[str, str], float]:
    """Per pair of columns (in column order): correlation or contingency similarity, 1 = same trend; NaN
    for a pair that does not count (its real trend is below SDMetrics' threshold, or a column is
    constant), which `quality` leaves out of its mean as SDMetrics does. See `pair_trends`."""
    return {
        p["columns"]: p["score"] if p["counts"] else float("nan")
        for p in pair_trends(real, synth, kinds, bins=bins)
    }


def quality_of(shapes: dict[str, float], pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """`quality`'s numbers from `column_shapes` and `pair_trends` already computed."""
    shapes_mean = float(np.mean(list(shapes.values())))
    counted = [p["score"] for p in pairs if p["counts"]]
    # No pair with a real trend (or a single column): the score is then what is defined, as in SDMetrics.
    trends_mean = float(np.mean(counted)) if counted else float("nan")
    parts = [v for v in (shapes_mean, trends_mean) if not np.isnan(v)]
    return {
        "column_shapes": shapes_mean,
        "column_pair_trends": trends_mean,
        "score": float(np.mean(parts)),
        "pairs_counted": len(counted),
        "pairs": len(pairs),
    }


def quality(real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str]) -> dict[str, Any]:
    """The SDMetrics quality report's three numbers, `column_shapes`, `column_pair_trends` and `score`,
    with ``pairs_counted`` of ``pairs`` (the pairs whose real trend passes the threshold)."""
    return quality_of(column_shapes(real, synth, kinds), pair_trends(real, synth, kinds))


def category_coverage(real, synth, kinds: dict[str, str]) -> float:
    """Mean over discrete columns of the share of the real rows' categories that synthetic rows contain
    (1.0 when the table has no discrete column)."""
    shares = []
    for col, kind in kinds.items():
        if kind in ("categorical", "boolean"):
            have = set(real[col].astype(str))
            shares.append(len(have & set(synth[col].astype(str))) / len(have))
    return float(np.mean(shares)) if shares else 1.0
