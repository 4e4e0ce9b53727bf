"""The statistics behind every verdict: 95 % intervals over seeds, and over runs for shares.

ganvae trains each model with a few seeds (2-5), so the rule must be honest at that size:

- a difference of means: **Welch's t interval** (unequal variances; Welch 1947). With 2 seeds per side it
  has about 1-2 degrees of freedom, so only large, consistent differences count — as they should;
- a mean against a constant: the one-sample **t interval** of the mean;
- a share (k of n runs reached a target, diverged): **Wilson's score interval** for one share and
  **Newcombe's hybrid score interval** (Newcombe 1998, method 10) for a difference of two shares, so that
  2/2 against 1/2 is not a definite result;
- a spread (how much runs vary): the **F interval** of the ratio of two variances.

A difference "counts" when its interval excludes zero (a variance ratio's when it excludes 1). One seed
gives no interval at all (None): every check on it is inconclusive.

>>> lo, hi = wilson(2, 2)
>>> round(lo, 3), hi
(0.342, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _stats():
    # scipy.stats costs about a second to import: only when an interval is computed, not whenever the
    # task registry loads (`ganvae list`, --help of a task imports this through the verdicts)
    from scipy import stats

    return stats


CONFIDENCE = 0.95
RULE = (
    "a difference counts when its 95 % interval over seeds excludes zero: Welch's t interval for means, "
    "Newcombe's score interval for shares of runs, an F interval for the ratio of two spreads; every "
    "compared model needs at least 2 seeds, and one seed leaves every check inconclusive"
)

Interval = tuple[float, float, float]  # (estimate, low, high)


def finite(values: Sequence[float | None]) -> np.ndarray:
    """The finite values as a float array (missing and NaN / infinite ones left out)."""
    return np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)


def mean_interval(values: Sequence[float], conf: float = CONFIDENCE) -> Interval | None:
    """The t interval of the mean of per-seed values (None with fewer than 2)."""
    x = finite(values)
    if len(x) < 2:
        return None
    m, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))
    half = float(_stats().t.ppf(0.5 + conf / 2, len(x) - 1)) * se
    return m, m - half, m + half


def welch_difference(a: Sequence[float], b: Sequence[float], conf: float = CONFIDENCE) -> Interval | None:
    """Welch's interval of mean(a) - mean(b) (None when either side has fewer than 2 values).

    Both sides without any spread (a deterministic figure) give the exact difference as the interval."""
    x, y = finite(a), finite(b)
    if len(x) < 2 or len(y) < 2:
        return None
    d = float(x.mean() - y.mean())
    vx, vy = float(x.var(ddof=1)) / len(x), float(y.var(ddof=1)) / len(y)
    se2 = vx + vy
    if se2 == 0.0:
        return d, d, d
    df = se2**2 / ((vx**2 / (len(x) - 1) if vx else 0.0) + (vy**2 / (len(y) - 1) if vy else 0.0))
    half = float(_stats().t.ppf(0.5 + conf / 2, df)) * math.sqrt(se2)
    return d, d - half, d + half


def wilson(k: int, n: int, conf: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval of a share k / n (n >= 1)."""
    if n < 1:
        raise ValueError("a share needs at least one run")
    z = float(_stats().norm.ppf(0.5 + conf / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(k1: int, n1: int, k2: int, n2: int, conf: float = CONFIDENCE) -> Interval:
    """Newcombe's hybrid score interval of k1/n1 - k2/n2 (method 10 of Newcombe 1998)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, conf)
    l2, u2 = wilson(k2, n2, conf)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def variance_ratio(a: Sequence[float], b: Sequence[float], conf: float = CONFIDENCE) -> Interval | None:
    """var(a) / var(b) with its F interval (None with fewer than 2 values a side). A side with no spread
    at all gives 0 or infinity with the same bound, as no F interval can be formed."""
    x, y = finite(a), finite(b)
    if len(x) < 2 or len(y) < 2:
        return None
    va, vb = float(x.var(ddof=1)), float(y.var(ddof=1))
    if va == 0.0 and vb == 0.0:
        return 1.0, 1.0, 1.0
    if vb == 0.0:
        return math.inf, math.inf, math.inf
    r = va / vb
    dfa, dfb = len(x) - 1, len(y) - 1
    lo = r / float(_stats().f.ppf(0.5 + conf / 2, dfa, dfb))
    hi = r / float(_stats().f.ppf(0.5 - conf / 2, dfa, dfb))
    return r, lo, hi
