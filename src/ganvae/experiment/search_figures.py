"""What a hyperparameter search says about each model beyond its best configuration: claims 4 ("GAN
training is harder and less stable") and 9 ("VAEs are easier to train") measured over the trials, as
Lucic et al. (2018) measure them, instead of over a few seeds at one configuration.

Per model, over its finished trials (COMPLETE and PRUNED; a pruned trial counts with the FD it had when it
was stopped — it was stopped for being worse than the median trial at that point — and a diverged one as
infinitely bad):

- the distribution of validation FD, and its spread as the std of log FD (`search_fd_spread`);
- the share of trials that diverged (`search_diverged_share`: NaN losses, or an FD that rose far above its
  own best), and of those that diverged or never reached the FD target (`search_miss_share`; the target
  is 1.5x the best validation FD of every completed trial of every model, as claim 9's is over seeds; a
  trial reaches it when its FD curve or its final FD does — the final FD may use a sampling-only setting
  the curve cannot, a VAE's mixture prior), each with Wilson's interval;
- the budget curve: the expected best FD after k trials, k = 1..N (`stability.budget_curve`, exact).

Caveat, stated in the report: the first trial is the model's own configuration, the sampler's next ones
up to `random_trials` are independent random draws (Lucic et al.'s setting), and later ones follow TPE
toward good regions, which narrows the distribution.

>>> rec = {"trials": [{"state": "complete", "value": 10.0, "diverged": False, "curve": [[1, 1, 10.0]]}]}
>>> entries, target = search_entries({"m": rec})
>>> entries["m"]["search_miss_share"]["k"], target
(0, 15.0)
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from ganvae.experiment.intervals import wilson
from ganvae.experiment.verdicts import share, spread
from ganvae.metrics import stability

DONE = ("complete", "pruned")


def _value(trial: dict[str, Any]) -> float:
    v = trial.get("value")
    return math.inf if v is None or not math.isfinite(v) else float(v)


def _budget_used(trials: list[dict[str, Any]], budget: dict[str, Any] | None) -> float | None:
    """What the trials cost in trials of the full per-trial budget (pruning makes it less than their number).

    A trial stops at whichever of its limits comes first, so its share is the largest share it used of any
    limit: steps against a complete trial's steps (a step or epoch budget), seconds of training against a
    wall-clock budget. Counting steps alone under a wall-clock budget was wrong: on Fashion-MNIST one VAE
    trial ran 9,838 steps in its 5 minutes and another 1,240, so eight trials read as 2.8 full ones, not 5.9.
    Without `budget` (a record that did not keep it) the step count is the measure."""
    complete = [t for t in trials if t["state"] == "complete"]
    full = max((t.get("steps") or 0 for t in complete), default=0)
    budget = budget or {"steps": full}
    by_steps = bool(full) and (budget.get("steps") is not None or budget.get("epochs") is not None)
    budget_s = budget.get("budget_s")
    if not by_steps and not budget_s:
        return None
    used = 0.0
    for t in trials:  # failed trials cost too
        shares = [(t.get("steps") or 0) / full] if by_steps else []
        if budget_s:
            shares.append((t.get("train_s") or 0.0) / budget_s)
        used += min(max(shares), 1.0)
    return used


WOBBLE_EVALS = 4  # the last evaluations of a trial's curve whose spread measures the objective's own noise


def margin_over_defaults(rec: dict[str, Any]) -> dict[str, Any] | None:
    """How far the best trial beat the model's own configuration (trial 0), against the objective's own
    noise: the spread (std) of the last `WOBBLE_EVALS` evaluations on trial 0's curve, at the same sample
    size and on the same validation images. Each trial has one seed, so a margin under twice that spread
    is no evidence that the search improved on the defaults (on Fashion-MNIST: 20.7 against 22.9 with a
    spread of 1.9, and three seeds of the chosen configuration ranged 14.5 to 26.1 on test). None without a
    completed trial 0 or a best trial."""
    own = next((t for t in rec["trials"] if t.get("defaults") and t["state"] == "complete"), None)
    best = rec.get("best")
    if own is None or not best or own.get("value") is None:
        return None
    tail = [
        p[2] for p in (own.get("curve") or [])[-WOBBLE_EVALS:] if p[2] is not None and math.isfinite(p[2])
    ]
    wobble = statistics.stdev(tail) if len(tail) >= 3 else None
    sign = -1.0 if rec.get("direction", "minimize") == "minimize" else 1.0
    margin = sign * (best["value"] - own["value"])  # positive: the best trial is better
    return {
        "defaults_value": own["value"],
        "best_value": best["value"],
        "best_is_defaults": best.get("number") == own.get("number"),
        "margin": margin,
        "wobble": wobble,
        "within_noise": None if wobble is None else margin < 2 * wobble,
    }


def search_entries(
    models: dict[str, dict[str, Any]], budget: dict[str, Any] | None = None
) -> tuple[dict[str, dict[str, dict]], float | None]:
    """The summary entries of each searched model (`models[m]` is its search record: "trials"), and the FD
    target they were judged by. Each record also gains "stats" for the report; `budget` is the per-trial
    budget (`CompareConfig.budget`: steps, epochs, budget_s) its cost is counted in."""
    finals = [_value(t) for rec in models.values() for t in rec["trials"] if t["state"] == "complete"]
    best = min((v for v in finals if math.isfinite(v)), default=None)
    target = stability.TARGET_FACTOR * best if best is not None else None
    entries: dict[str, dict[str, dict]] = {}
    for model, rec in models.items():
        done = [t for t in rec["trials"] if t["state"] in DONE]
        if not done:
            continue
        values = [_value(t) for t in done]
        diverged = [bool(t.get("diverged")) or math.isinf(v) for t, v in zip(done, values, strict=True)]
        reached = [
            target is not None
            and (v <= target or stability.time_to_target(t.get("curve") or [], target) is not None)
            for t, v in zip(done, values, strict=True)
        ]
        missed = sum(d or not r for d, r in zip(diverged, reached, strict=True))
        n = len(done)
        entries[model] = {
            "search_fd_spread": spread(stability.log_fds(values)),
            "search_diverged_share": share(sum(diverged), n),
            "search_miss_share": share(missed, n),
        }
        rec["stats"] = {
            "n": n,
            "full_trials": _budget_used(rec["trials"], budget),
            "margin": margin_over_defaults(rec),
            "train_s": sum(t.get("train_s") or 0.0 for t in rec["trials"]),
            "values": [v if math.isfinite(v) else None for v in values],
            "pruned": [t["state"] == "pruned" for t in done],
            "diverged": sum(diverged),
            "missed": missed,
            "missed_interval": list(wilson(missed, n)),
            "budget_curve": [b if math.isfinite(b) else None for b in stability.budget_curve(values)],
        }
    return entries, target


def best_text(rec: dict[str, Any], digits: int = 3) -> str:
    """'searched: 8 trials (2 pruned), best lr=0.0012, beta=0.8 (validation FD 23.1, trial 5)'; the
    objective is the record's ("metric": FD for images, quality for tables, NDCG@100 for recommenders)."""
    c = rec.get("counts", {})
    n = c.get("complete", 0) + c.get("pruned", 0)
    metric = rec.get("metric", "FD")  # records written before other kinds were searched are FD
    head = f"searched: {n} trials ({c.get('pruned', 0)} pruned)"
    best = rec.get("best")
    if not best:
        return head + f"; no trial finished with a finite {metric}, so the defaults train"
    params = ", ".join(f"{k}={_short(v, digits)}" for k, v in best["params"].items())
    margin = (rec.get("stats") or {}).get("margin") or {}
    noise = ""  # the first line a user reads must not make a draw look like an improvement
    if margin.get("within_noise") is not None and not margin["best_is_defaults"]:
        side = "within" if margin["within_noise"] else "beyond"
        noise = f"; {side} the noise of trial 0's {margin['defaults_value']:.{digits}g}"
    where = f"validation {metric} {best['value']:.{digits}g}, trial {best['number']}{noise}"
    return f"{head}, best {params} ({where})"


def _short(value: Any, digits: int) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
