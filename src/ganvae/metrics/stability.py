"""Training stability and ease of training, from the runs of one model (Lucic et al. 2018, "Are GANs
Created Equal?": judge a family by the distribution of its outcomes, diverged runs included).

- `fd_spread`: the per-seed values are log FD, and the figure is their spread. A log keeps one blown-up
  run from dwarfing everything (FD 500 against 25 is a log-difference of 3, not a variance of 10^5), and
  runs that blew up *during* training keep their final FD: the unstable runs are the ones this must count.
- `diverged_share`: runs that stopped on NaN / inf or whose FD rose far above their own best: k of n.
- `reach_share` / `time_to_target_s` (claim 9): runs whose FD-vs-time curve reaches a common target, and
  when. Target and curve are both measured at the curve's sample size, because FD is biased by the number
  of samples: a target set on 1,000-sample FD and met by 256-sample FD would favour neither honestly.
- from a hyperparameter search (`ganvae compare --search N`), the same questions over a model's trials
  instead of its seeds, as Lucic et al. measure them: `search_fd_spread` (spread of log validation FD over
  the trials), `search_diverged_share`, `search_miss_share` (trials that diverged or never reached the
  target), and `expected_best` / `budget_curve`: the expected best FD after k trials.

>>> time_to_target([(1.0, 10, 90.0), (2.0, 20, 40.0), (3.0, 30, 35.0)], target=45.0)
2.0
"""

from __future__ import annotations

import math

from ganvae.metrics.meta import declare

declare("fd_spread", "FD spread across seeds (std of log FD)", better="lower", kind="spread")
declare("diverged_share", "diverged runs", better="lower", kind="share", bounds=(0.0, 1.0))
declare("reach_share", "runs reaching the FD target", better="higher", kind="share", bounds=(0.0, 1.0))
declare("time_to_target_s", "time to FD target (s)", better="lower", unit="s", bounds=(0.0, None))
declare(
    "search_fd_spread",
    "search: spread of validation FD over trials (std of log FD)",
    better="lower",
    kind="spread",
)
declare("search_diverged_share", "search: diverged trials", better="lower", kind="share", bounds=(0.0, 1.0))
declare(
    "search_miss_share",
    "search: trials diverged or never reaching the FD target",
    better="lower",
    kind="share",
    bounds=(0.0, 1.0),
)

# a final FD this many times the run's best on its curve counts as a blow-up (diverged)
CURVE_BLOWUP = 3.0
# claim 9: the target is this many times the best final curve FD of all runs
TARGET_FACTOR = 1.5

Curve = list[tuple[float, int, float | None]]  # (seconds, step, FD at the curve's sample size)


def finite_fds(curve: Curve) -> list[float]:
    return [fd for _, _, fd in curve if fd is not None and math.isfinite(fd)]


def blew_up(curve: Curve, factor: float = CURVE_BLOWUP) -> str | None:
    """Why the curve counts as diverged (its last FD far above its best), or None."""
    fds = finite_fds(curve)
    if fds and fds[-1] > factor * min(fds):
        return f"FD rose from {min(fds):.3g} to {fds[-1]:.3g} during training"
    return None


def final_curve_fd(curve: Curve) -> float | None:
    """The FD of the trained model at the curve's sample size (the loop evaluates at the last step)."""
    last = curve[-1][2] if curve else None
    return last if last is not None and math.isfinite(last) else None


def fd_target(curves: list[Curve], factor: float = TARGET_FACTOR) -> float | None:
    """`factor` x the best final curve FD over all runs of all models (same sample size as the curves)."""
    finals = [f for c in curves if (f := final_curve_fd(c)) is not None]
    return factor * min(finals) if finals else None


def time_to_target(curve: Curve, target: float) -> float | None:
    """Seconds until the curve first reaches `target` (None when it never does)."""
    for time_s, _, fd in curve:
        if fd is not None and math.isfinite(fd) and fd <= target:
            return float(time_s)
    return None


def log_fds(fds: list[float]) -> list[float]:
    """The per-seed values of `fd_spread` (log FD; non-positive or infinite FDs are left out)."""
    return [math.log(f) for f in fds if f is not None and math.isfinite(f) and f > 0]


def expected_best(values: list[float], k: int) -> float:
    """The expected lowest of `k` values drawn without replacement from `values` (the trials of a search):
    Lucic et al.'s "best FD after k trials". Exact, by order statistics: with v(1) <= ... <= v(n) sorted,
    v(i) is the minimum of a k-subset when the subset holds it and k - 1 of the n - i values above it, so

        E[min] = sum_i v(i) C(n - i, k - 1) / C(n, k).

    An infinite value (a diverged trial) makes the expectation infinite for every k it can be drawn alone
    with, k <= the number of infinite values.

    >>> expected_best([3.0, 1.0, 2.0], 2)  # subsets {1,2} {1,3} {2,3}: minima 1, 1, 2
    1.3333333333333333
    """
    v = sorted(math.inf if x is None or math.isnan(x) else float(x) for x in values)
    n = len(v)
    if not 1 <= k <= n:
        raise ValueError(f"k must lie in 1..{n}, got {k}")
    total = math.comb(n, k)
    # only terms with a non-zero weight: 0 x inf is no term at all
    return sum(v[i] * math.comb(n - 1 - i, k - 1) / total for i in range(n - k + 1))


def budget_curve(values: list[float]) -> list[float]:
    """`expected_best(values, k)` for k = 1..n: what a search of k trials can expect to find."""
    return [expected_best(values, k) for k in range(1, len(values) + 1)]
