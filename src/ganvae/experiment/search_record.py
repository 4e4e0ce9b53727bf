"""What a finished (or running) study says, in the forms the search keeps: one progress line per trial,
and the record of each searched model that metrics.json holds (its trials, the best configuration, the
parameters' fANOVA importance). The best trial is the lowest or highest by the objective's direction.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ganvae.experiment import study as S
from ganvae.experiment.search import SearchTarget, describe


def trial_line(model: str, study: Any, t: Any, c: S.Counts, n: int, target: SearchTarget) -> str:
    state, metric = t.state.name.lower(), target.metric
    if t.user_attrs.get("diverged"):
        what = "diverged"
    elif state == "pruned":
        what = f"pruned at evaluation {t.last_step} ({metric} {t.value:.4g})"
    elif state == "complete":
        what = f"{metric} {t.value:.4g}"
    else:
        what = state
    best = best_trial(study.get_trials(deepcopy=False), target.direction)
    best_text = f"; best {metric} {best.value:.4g} (trial {best.number})" if best else ""
    elsewhere = f", {c.running} running elsewhere" if c.running else ""
    done = f"{c.done}/{n} done ({c.pruned} pruned{elsewhere})"
    return f"search {model}: trial {t.number} {what} — {done}{best_text}"


def best_trial(trials: list, direction: str = "minimize") -> Any:
    from optuna.trial import TrialState

    ok = [
        t for t in trials if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    sign = 1.0 if direction == "minimize" else -1.0
    return min(ok, key=lambda t: (sign * t.value, t.number)) if ok else None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def model_record(
    model, study, name, space, fixed, counts: S.Counts, wall_s: float, target: SearchTarget
) -> dict[str, Any]:
    from optuna.trial import TrialState

    trials = [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get("surplus")]
    retried = {t.system_attrs.get("failed_trial") for t in trials} - {None}
    rows = [
        {
            "number": t.number,
            "state": t.state.name.lower(),
            "value": _finite(t.value),
            "params": dict(t.params),
            "sampling": t.user_attrs.get("sampling", {}),
            "seed": t.user_attrs.get("seed"),
            "curve": t.user_attrs.get("curve", []),
            "diverged": bool(t.user_attrs.get("diverged"))
            or (t.state == TrialState.COMPLETE and _finite(t.value) is None),
            "reason": t.user_attrs.get("diverged"),
            "train_s": t.user_attrs.get("train_s"),
            "steps": t.user_attrs.get("steps"),
            "worker": t.user_attrs.get("worker"),  # host:pid of the process that trained it
            "retry_of": t.system_attrs.get("failed_trial"),
            "defaults": bool(t.user_attrs.get("defaults")),
            "retried": t.number in retried,
        }
        for t in trials
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    ]
    best = best_trial(trials, target.direction)
    chosen = {**best.params, **best.user_attrs.get("sampling", {})} if best else {}
    importance, how = param_importance(study, target.direction)
    return {
        "study": name,
        "metric": target.metric,
        "direction": target.direction,
        "space": {k: describe(p) for k, p in space.items()},
        "fixed": fixed,
        "counts": dataclasses.asdict(counts),
        "best": {"number": best.number, "value": best.value, "params": chosen} if best else None,
        "trials": rows,
        "importance": importance,
        "importance_note": how,
        "search_s": round(wall_s, 1),
    }


def param_importance(study: Any, direction: str = "minimize") -> tuple[dict[str, float] | None, str]:
    """fANOVA importance (Hutter et al. 2014, Optuna's default) of each trained parameter for the
    validation objective over the completed trials (pruned ones stopped early: their value is of another
    training length); None and the reason when it cannot be computed."""
    import optuna
    from optuna.trial import TrialState

    done = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None and math.isfinite(t.value)
    ]
    if len(done) < 2:
        return None, f"needs at least 2 completed trials with a finite value; this search has {len(done)}"
    copy = optuna.create_study(direction=direction)
    copy.add_trials(done)
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        found = optuna.importance.get_param_importances(copy, evaluator=evaluator)
    except (ValueError, RuntimeError) as exc:
        return None, f"Optuna could not compute it: {exc}"
    return {k: float(v) for k, v in found.items()}, f"fANOVA over {len(done)} completed trials"
