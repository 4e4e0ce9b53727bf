"""The verdict statistics against independent references: scipy's Welch test and binomial intervals,
Newcombe's published example, and the F distribution's coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ganvae.experiment import intervals as I


def test_welch_difference_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(10, 1, 3), rng.normal(8, 3, 4)
    d, lo, hi = I.welch_difference(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert d == pytest.approx(a.mean() - b.mean())
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_mean_interval_matches_scipy():
    x = np.array([0.2, 0.5, 0.3, 0.4])
    _, lo, hi = I.mean_interval(x)
    ci = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_one_value_gives_no_interval():
    assert I.mean_interval([1.0]) is None
    assert I.welch_difference([1.0], [2.0, 3.0]) is None
    assert I.variance_ratio([1.0], [2.0, 3.0]) is None


def test_deterministic_figures_give_the_exact_difference():
    assert I.welch_difference([2.0, 2.0], [1.0, 1.0]) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("k,n", [(0, 3), (1, 2), (2, 2), (7, 10), (50, 60)])
def test_wilson_matches_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert I.wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II example (a): 56/70 - 48/80,
    # method 10 gives 0.0524 to 0.3339
    d, lo, hi = I.newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_two_of_two_against_one_of_two_is_not_a_definite_difference():
    _, lo, hi = I.newcombe_difference(2, 2, 1, 2)
    assert lo < 0 < hi
    _, lo, _ = I.newcombe_difference(10, 10, 0, 10)
    assert lo > 0


def test_variance_ratio_interval_covers_the_truth_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = 0
    trials = 2000
    for _ in range(trials):
        a, b = rng.normal(0, 2, 4), rng.normal(0, 1, 5)  # true ratio of variances: 4
        _, lo, hi = I.variance_ratio(a, b)
        hits += lo <= 4.0 <= hi
    assert hits / trials == pytest.approx(0.95, abs=0.015)


def test_a_figure_at_zero_on_a_log_scale_is_not_clear_rather_than_a_crash():
    """A blank sample's sharpness ratio is 0: infinitely far from the ideal 1 on a log scale, so that seed
    leaves one finite value, too few for an interval (a 4-step comparison hit this)."""
    from ganvae.experiment.verdicts import compare_entries
    from ganvae.metrics.meta import get

    def entry(values):
        return {
            "kind": "mean",
            "mean": float(np.mean(values)),
            "std": float(np.std(values)),
            "n": 2,
            "values": values,
        }

    result = compare_entries(get("sharpness_ratio"), entry([0.04, 0.05]), entry([0.0, 0.0009]))
    assert result.clear is False and "fewer than two finite values" in result.reason
