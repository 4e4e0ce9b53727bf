"""One way to say which model or family did better, used by the claims and by every use case.

A figure over seeds is an *entry* (a JSON-able dict, as stored in metrics.json):

- `estimate(values)`: one value per seed → mean, std, n, values;
- `share(k, n)`: k of n runs → the share with its Wilson interval (never a zero-width spread);
- `spread(values)`: the spread of per-seed values is the figure (training stability).

`representative` picks the model that stands for a family on one figure (its best, judged by the figure's
metadata: direction, or distance from an ideal value); `compare_entries` says whether one entry is better
than another by the rule of `ganvae.experiment.intervals`; `use_case_row` makes the row of the report's
verdict table. The rule and the wording live here only.

>>> a, b = estimate([10.0, 11.0, 10.5]), estimate([20.0, 21.0, 19.0])
>>> compare_entries(get_metric("fd"), a, b).clear
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ganvae.experiment import intervals as I
from ganvae.metrics.meta import Metric
from ganvae.metrics.meta import get as get_metric

HOLDS, FAILS, UNSURE = "holds", "does not hold", "inconclusive"


# ---- entries ------------------------------------------------------------------------------------------
def estimate(values: list[float]) -> dict[str, Any]:
    """Mean and sample std of per-seed values (std None for one seed: there is no spread to show)."""
    arr = I.finite(values)
    return {
        "kind": "mean",
        "mean": float(arr.mean()) if len(arr) else None,
        "std": float(arr.std(ddof=1)) if len(arr) > 1 else None,
        "n": len(arr),
        "values": [float(v) for v in arr],
    }


def share(k: int, n: int) -> dict[str, Any]:
    """k of n runs, with Wilson's 95 % interval."""
    lo, hi = I.wilson(k, n)
    return {"kind": "share", "mean": k / n, "std": None, "k": int(k), "n": int(n), "lo": lo, "hi": hi}


def spread(values: list[float]) -> dict[str, Any]:
    """The sample std of per-seed values as the figure (None below 2 values); `values` kept to compare."""
    arr = I.finite(values)
    return {
        "kind": "spread",
        "mean": float(arr.std(ddof=1)) if len(arr) > 1 else None,
        "std": None,
        "n": len(arr),
        "values": [float(v) for v in arr],
    }


def usable(entry: dict[str, Any] | None) -> bool:
    return bool(entry) and entry.get("mean") is not None and math.isfinite(entry["mean"])


def display(entry: dict[str, Any] | None, digits: int = 3) -> str:
    """How an entry reads: '0.532 ± 0.012', '0.532 (1 seed)', '2 of 3 runs'; '—' when missing."""
    if not usable(entry):
        return "—"
    assert entry is not None
    if entry.get("kind") == "share":
        return f"{entry['k']} of {entry['n']} runs"
    text = _number(entry["mean"], digits)
    if entry.get("kind") == "spread":
        return f"{text} ({entry['n']} runs)"
    if entry["n"] < 2:
        return f"{text} (1 seed)"
    return f"{text} ± {entry['std']:.2g}"


def _number(value: float, digits: int = 3) -> str:
    text = f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return "0" if text == "-0" else text


# ---- who stands for a family ----------------------------------------------------------------------------
@dataclass
class Side:
    """One model's entry on one figure, as shown in a claims or verdict table."""

    model: str
    mean: float
    n: int
    text: str
    entry: dict[str, Any]


def _badness(metric: Metric, value: float, direction: str | None = None) -> float:
    """Lower is better: by the metric's metadata, or (a check comparing raw values one way, "blurrier" =
    lower sharpness) by `direction`."""
    if direction is not None:
        return value if direction == "lower" else -value
    return metric.badness(value)


def members(
    summary: dict[str, dict[str, Any]], families: dict[str, str], family: str, metric: str
) -> list[Side]:
    """Every model of `family` with a usable entry for `metric`."""
    return [
        Side(model, s[metric]["mean"], s[metric]["n"], display(s[metric]), s[metric])
        for model, s in summary.items()
        if families.get(model) == family and usable(s.get(metric))
    ]


def representative(
    summary: dict[str, dict[str, Any]], families: dict[str, str], family: str, metric: str | Metric
) -> Side | None:
    """The best model of `family` on `metric` by its metadata (None when no model has the figure)."""
    meta = get_metric(metric) if isinstance(metric, str) else metric
    sides = members(summary, families, family, meta.key)
    return min(sides, key=lambda s: _badness(meta, s.mean)) if sides else None


# ---- is one better than another ---------------------------------------------------------------------------
@dataclass
class Comparison:
    """How much `a` is better than `b` (positive = a better), with a 95 % interval; `clear` when the
    interval excludes no-difference. `reason` says why a comparison is not clear."""

    estimate: float | None
    low: float | None
    high: float | None
    clear: bool
    reason: str
    text: str


def _not_clear(reason: str) -> Comparison:
    return Comparison(None, None, None, False, reason, "—")


def _judged(
    d: float, lo: float, hi: float, text: str, none: float = 0.0, said: str = "no difference"
) -> Comparison:
    """A comparison with its interval: clear when the interval excludes `none`, the value of no difference
    (`said` in words)."""
    clear = lo > none or hi < none
    return Comparison(d, lo, hi, clear, "" if clear else f"the 95 % interval includes {said}", text)


def compare_entries(
    metric: Metric, a: dict[str, Any], b: dict[str, Any], direction: str | None = None
) -> Comparison:
    """Is entry `a` better than entry `b` on `metric` (or, with `direction`, lower/higher in raw value)?"""
    if not (usable(a) and usable(b)):
        return _not_clear("a figure is missing")
    if a["n"] < 2 or b["n"] < 2:  # the stated rule, for every kind of figure
        return _not_clear("one seed: no spread to judge by")
    kind = a.get("kind", "mean")
    if kind == "share":
        d, lo, hi = I.newcombe_difference(a["k"], a["n"], b["k"], b["n"])
        if (direction or metric.better) != "higher":
            d, lo, hi = 0.0 - d, 0.0 - hi, 0.0 - lo  # 0.0 - x: no "-0"
        return _judged(
            d, lo, hi, f"{100 * d:+.0f} percentage points (95 % CI {100 * lo:+.0f} to {100 * hi:+.0f})"
        )
    if kind == "spread":
        r, lo, hi = I.variance_ratio(b["values"], a["values"])  # > 1: b varies more, so a is steadier
        text = f"variance ratio {_number(r, 2)} (95 % CI {_number(lo, 2)}–{_number(hi, 2)})"
        return _judged(math.log(r) if 0 < r < math.inf else r, lo, hi, text, none=1.0, said="a ratio of 1")
    interval = I.welch_difference(
        [_badness(metric, v, direction) for v in b["values"]],
        [_badness(metric, v, direction) for v in a["values"]],
    )
    if interval is None:  # a value at 0 on a log scale (a blank sample's sharpness) has infinite badness
        return _not_clear("fewer than two finite values on one side")
    d, lo, hi = interval
    if metric.ideal is not None and direction is None:
        unit = "in |log ratio|" if metric.scale == "log" else f"in distance from {metric.ideal:g}"
    else:
        unit = metric.unit
    return _judged(
        d,
        lo,
        hi,
        f"{_number(d, 2)} (95 % CI {_number(lo, 2)} to {_number(hi, 2)}){' ' + unit if unit else ''}",
    )


def compare_factor(
    metric: Metric, a: dict[str, Any], b: dict[str, Any], factor: float, floor: float = 0.0
) -> Comparison:
    """Is entry `a` at least `factor` times entry `b` (positive figures: a time per image)? Judged on log
    values, Welch's interval of mean log a - mean log b against log `factor`: the estimate is how far the
    ratio lies above `factor` on a log scale (positive = more than `factor` times). Values at or below
    `floor` (a time too small to measure) give no ratio at all."""
    if not (usable(a) and usable(b)):
        return _not_clear("a figure is missing")
    if a["n"] < 2 or b["n"] < 2:
        return _not_clear("one seed: no spread to judge by")
    if min(a["values"] + b["values"]) <= floor:
        unit = f" {metric.unit}" if metric.unit else ""
        return _not_clear(f"a value at or below {floor:g}{unit}, too small to measure: no ratio")
    interval = I.welch_difference([math.log(v) for v in a["values"]], [math.log(v) for v in b["values"]])
    assert interval is not None  # both sides have >= 2 finite positive values
    d, lo, hi = interval
    r, rlo, rhi = (_number(math.exp(v), 3) for v in (d, lo, hi))
    text = f"ratio {r}x (95 % CI {rlo}x to {rhi}x)"
    margin = math.log(factor)
    return _judged(d - margin, lo - margin, hi - margin, text, said=f"a ratio of {factor:g}")


def against_bound(entry: dict[str, Any], above: float | None = None, below: float | None = None) -> str:
    """'holds' / 'does not hold' / 'inconclusive': is the mean clearly above / below a constant?"""
    if not usable(entry) or entry.get("n", 0) < 2:
        return UNSURE
    got = I.mean_interval(entry["values"])
    assert got is not None
    _, lo, hi = got
    if above is not None:
        return HOLDS if lo > above else FAILS if hi < above else UNSURE
    assert below is not None
    return HOLDS if hi < below else FAILS if lo > below else UNSURE


# ---- the verdict row of a use case -----------------------------------------------------------------------
def use_case_row(
    use_case: str,
    metric: str | Metric,
    summary: dict[str, dict[str, Any]],
    families: dict[str, str] | None = None,
    *,
    label: str | None = None,
    contenders: tuple[str, ...] = ("gan", "vae", "diffusion"),
) -> dict[str, Any] | None:
    """The winner of `use_case`: the best model of each family on `metric` (of the `contenders`), and
    whether the winner is clearly better than the best of the next family. None when no model has the
    figure. Without `families`, each row of `summary` names its own ("family": a task's table)."""
    meta = get_metric(metric) if isinstance(metric, str) else metric
    if families is None:
        families = {k: row.get("family", "") for k, row in summary.items()}
    sides = [s for fam in contenders if (s := representative(summary, families, fam, meta))]
    if not sides:
        return None
    sides.sort(key=lambda s: _badness(meta, s.mean))
    best = sides[0]
    row: dict[str, Any] = {
        "use_case": use_case,
        "metric": label or meta.label,
        "winner": best.model,
        "family": families[best.model],
        "value": best.mean,
        "value_text": best.text,
    }
    if len(sides) >= 2:
        rival = sides[1]  # the best model of another family
        cmp = compare_entries(meta, best.entry, rival.entry)
        row.update(
            runner_up=rival.model,
            runner_value=rival.mean,
            runner_text=rival.text,
            difference=cmp.text,
            clear=cmp.clear,
            reason=cmp.reason,
        )
    return row


def no_usable_generator(summary: dict[str, dict[str, Any]]) -> str | None:
    """A sentence saying that no model is a usable generator (`metrics.usability`: each model's mean
    `fd_gap_closed` below `USABLE`), or None when one is or the figure is missing (other data kinds)."""
    from ganvae.metrics.usability import USABLE  # here: that module imports torch, verdicts must not

    entries = {m: row.get("fd_gap_closed") for m, row in summary.items()}
    closed = {m: e["mean"] for m, e in entries.items() if usable(e)}
    if not closed or any(v >= USABLE for v in closed.values()):
        return None
    shown = ", ".join(f"{m} {v:.2f}" for m, v in closed.items())
    return (
        f"neither model is usable here: no model covers {USABLE:.0%} of the FD gap from independent "
        f"pixels to real images ({shown}); the comparison would be between kinds of noise"
    )


def row_sentence(row: dict[str, Any], what: str) -> str:
    """'Best: X with <what> v ± s; the other family's best, Y, reaches ...' from a `use_case_row`."""
    text = f"Best: {row['winner']} with {what} {row['value_text']}"
    if row.get("runner_up"):
        text += f"; the other family's best, {row['runner_up']}, reaches {row['runner_text']}"
        text += (
            f" (difference {row['difference']}: a clear win)"
            if row.get("clear")
            else f" (not a clear win: {row.get('reason') or 'no interval'})"
        )
    return text + "."
