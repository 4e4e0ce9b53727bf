"""A task's hyperparameter search in its section (`--search N` on tables and recommenders; the image
comparison's search has its own part of the report, `sections/generation.py`): per model, the trials, the
validation objective of the model's own configuration (trial 0) against the best trial's, the expected
best after k trials, the configuration the seeds trained and what the search cost.

Claims 4 and 9 ("GAN training is harder and less stable", "VAEs are easier to train") are judged from a
search's trials only in the image comparison's claims table (spread of log FD, a target of 1.5x the best
FD): a task report has no claims table and a bounded score has no such target, so the section says they
are not measured here and shows the diverged trials as counted.
"""

from __future__ import annotations

import math
from typing import Any

from ganvae.metrics import stability
from ganvae.report.env import fmt
from ganvae.report.sections import Section

CLAIMS_NOTE = (
    "Claims 4 and 9 (GAN training less stable; VAEs easier to train) are judged from a search's trials "
    "only in the image comparison's claims table, on the spread of log FD and an FD target; this report "
    "has no claims table and a bounded score has no such target, so they are not measured here (the "
    "diverged trials are counted above)."
)


def budget_curve(values: list[float | None], direction: str) -> list[float]:
    """The expected best objective after k = 1..n trials (`stability.budget_curve`, exact), for either
    direction; a diverged trial (None) counts as infinitely bad.

    >>> budget_curve([0.5, 0.7], "maximize")
    [0.6, 0.7]
    """
    sign = 1.0 if direction == "minimize" else -1.0
    bad = [math.inf if v is None else sign * v for v in values]
    return [sign * b for b in stability.budget_curve(bad)]


def add_search(sec: Section, search: dict[str, Any] | None) -> None:
    """Add the search's finding and table to `sec` (nothing without a search)."""
    if not search:
        return
    metric, direction = search["metric"], search["direction"]
    v, opts = search["validation"], search["options"]
    better = "higher" if direction == "maximize" else "lower"
    pruned = (
        f"trials whose in-training {metric} fell behind the median trial's at the same evaluation were "
        f"pruned ({opts['pruner']} pruner)"
        if search.get("pruning")
        else "no trial was pruned"
    )
    sec.findings.append(
        f"Search: each model had {search['trials']} trials (Optuna TPE, seed {opts['seed']}; the first is "
        f"the model's own configuration) at one seed's budget, trained on {v['n_train']} {v['unit']} and "
        f"scored by {search['objective']}, {better} is better — validation: {v['how']}; the test split "
        f"was never read; {pruned}. The seeds then trained each model's best configuration: "
        + "; ".join(_gain(m, rec, metric) for m, rec in search["models"].items())
        + "."
    )
    rows = []
    for model, rec in search["models"].items():
        done = [t for t in rec["trials"] if t["state"] in ("complete", "pruned")]
        curve = budget_curve([t["value"] for t in done], direction)
        ks = sorted({1, (len(curve) + 1) // 2, len(curve)} - {0})
        c = rec["counts"]
        best = rec.get("best")
        diverged = sum(t["diverged"] for t in done)
        rows.append(
            [
                model,
                f"{c['complete']} completed, {c['pruned']} pruned, {diverged} diverged",
                fmt(_defaults(rec)),
                fmt(best["value"]) if best else "—",
                ", ".join(
                    f"{k}={fmt(x) if isinstance(x, float) else x}"
                    for k, x in (best or {}).get("params", {}).items()
                )
                or "defaults",
                " · ".join(f"k={k}: {fmt(curve[k - 1])}" for k in ks),
                _cost(rec),
            ]
        )
    ranges = "; ".join(
        f"{m}: " + ", ".join(f"{k} {d}" for k, d in rec["space"].items())
        for m, rec in search["models"].items()
    )
    sec.table(
        f"Hyperparameter search (validation {metric}, {better} is better)",
        [
            "model",
            "trials",
            "own configuration (trial 0)",
            "best",
            "best configuration (trained over the seeds)",
            "expected best after k trials",
            "cost",
        ],
        rows,
        note=f"Searched ranges — {ranges}. Pruned trials count at the value they had when stopped. "
        + CLAIMS_NOTE,
    )


def _defaults(rec: dict[str, Any]) -> float | None:
    first = next((t for t in rec["trials"] if t.get("defaults")), None)
    return first["value"] if first and first["state"] == "complete" else None


def _gain(model: str, rec: dict[str, Any], metric: str) -> str:
    best, own = rec.get("best"), _defaults(rec)
    if not best:
        return f"{model} keeps its defaults (no trial finished with a finite {metric})"
    if best.get("number") == 0 or own is None:
        return f"{model} {metric} {fmt(best['value'])} (trial {best['number']})"
    return f"{model} {metric} {fmt(best['value'])} (trial {best['number']}) against {fmt(own)} for its own"


def _cost(rec: dict[str, Any]) -> str:
    """The steps trained over every trial, in trials of the full budget, and the seconds they took."""
    trials = rec["trials"]
    full = max((t.get("steps") or 0 for t in trials if t["state"] == "complete"), default=0)
    steps = sum(t.get("steps") or 0 for t in trials)
    seconds = sum(t.get("train_s") or 0.0 for t in trials)
    return f"{fmt(steps / full)} full trials, {fmt(seconds)} s training" if full else "—"
