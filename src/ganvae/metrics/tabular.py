"""Tabular synthetic-data quality: does each column, and each pair of columns, look like the real data?

The definitions of the SDMetrics quality report (DataCebo, docs.sdv.dev/sdmetrics), implemented here
from its documentation (sdmetrics itself is not used):

- Column shapes: per column, 1 - KS statistic (continuous, datetime: ``KSComplement``) or 1 - total
  variation distance of the category frequencies (categorical, boolean: ``TVComplement``).
- Column pair trends: per pair, 1 - |rho_real - rho_synth| / 2 with **Pearson** correlation when both are
  numeric (``CorrelationSimilarity``), otherwise 1 - TVD of the pair's joint frequencies
  (``ContingencySimilarity``) with numeric columns binned at the real data's deciles.
- Quality score: the mean of the two property scores, each the mean over columns / pairs.

Every score lies in [0, 1], 1 meaning identical. Missing values (a choice SDMetrics leaves open): NaN is
a category of its own in discrete columns and a bin of its own in contingency tables; in a numeric
column it is folded into the KS statistic as a point mass below every value, so the score is 1 - KS of
the real and synthetic distributions *including* their missing rates (it equals plain 1 - KS without NaN
and is at most 1 - |missing-rate difference|); correlations use the rows where both values are present.

Utility (`utility`, train-synthetic-test-real) and privacy (`privacy`, distance to closest record) are in
`ganvae.metrics.tabular_utility` and `ganvae.metrics.tabular_privacy`, re-exported here.

>>> import pandas as pd
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b"]})
>>> quality(real, real, {"x": "continuous", "c": "categorical"})["score"]
1.0
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ganvae.data.tabular_kinds import DISCRETE_KINDS, NUMERIC_KINDS
from ganvae.metrics.frames import check_frames, joint_codes, numeric_values, quantile_bins
from ganvae.metrics.tabular_privacy import privacy
from ganvae.metrics.tabular_utility import utility

__all__ = [
    "column_pair_trends",
    "column_shapes",
    "correlation_matrices",
    "ks_statistic",
    "privacy",
    "quality",
    "total_variation",
    "utility",
]


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


def column_pair_trends(
    real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str], *, bins: int = 10
) -> dict[tuple[str, str], float]:
    """Per pair of columns (in column order): correlation or contingency similarity, 1 = same trend.

    A numeric pair whose correlation is undefined on either side (a constant column) scores NaN and is
    left out of `quality`'s mean, as SDMetrics does.
    """
    columns = check_frames(kinds, real=real, synth=synth)
    names, real_corr, synth_corr = correlation_matrices(real, synth, kinds)
    where = {c: i for i, c in enumerate(names)}
    codes = {}
    for c in columns:
        if kinds[c] in DISCRETE_KINDS:
            codes[c] = joint_codes(real[c], synth[c])
        else:
            codes[c] = quantile_bins(
                numeric_values(real[c], kinds[c]), numeric_values(synth[c], kinds[c]), bins=bins
            )
    out = {}
    for a, b in itertools.combinations(columns, 2):
        if a in where and b in where:
            i, j = where[a], where[b]
            out[(a, b)] = 1.0 - abs(real_corr[i, j] - synth_corr[i, j]) / 2.0
        else:
            (ra, sa), na = codes[a]
            (rb, sb), nb = codes[b]
            out[(a, b)] = 1.0 - total_variation(ra * nb + rb, sa * nb + sb, na * nb)
    return out


def quality(real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str]) -> dict[str, float]:
    """The SDMetrics quality report's three numbers: `column_shapes`, `column_pair_trends`, `score`."""
    shapes = np.array(list(column_shapes(real, synth, kinds).values()))
    trends = np.array(list(column_pair_trends(real, synth, kinds).values()), dtype=np.float64)
    shapes_mean = float(shapes.mean())
    # One column has no pairs (and constant columns no correlations): the score is then what is defined.
    trends_mean = float(np.nanmean(trends)) if np.isfinite(trends).any() else float("nan")
    parts = [v for v in (shapes_mean, trends_mean) if not np.isnan(v)]
    return {"column_shapes": shapes_mean, "column_pair_trends": trends_mean, "score": float(np.mean(parts))}
