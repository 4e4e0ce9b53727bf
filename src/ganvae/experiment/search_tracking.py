"""`--search N` with `--logger`: the search's trials as tracked runs, so that they are compared where the
user compares runs (MLflow's run table, TensorBoard's HParams dashboard).

Each searched model is one run under the comparison's (or task's) run, named `<model>-search`, with the
searched space and the values `--set` fixes as parameters and the best trial's validation figure at the
end. Each of its trials is a run under it, named `trial-<k>`:

- parameters: the trial's configuration (the values drawn for it, the sampling-only settings it chose,
  the `--set` values held fixed) and `trial.seed`, `trial.number`, `trial.state` (complete, pruned,
  diverged, failed);
- metrics: its validation objective `validation/<metric>` (e.g. `validation/FD`) and its in-training curve
  `eval/<metric>` by step, with its training time;
- status FINISHED (complete or pruned: a pruned trial ended as the pruner asked) or FAILED (diverged, or
  failed); the run's start and end are the trial's own.

In TensorBoard the model's search is `RUN/tensorboard/search/<model>/` and each trial a sub-folder
`trial-<k>/` in it (its configuration and figure in the HParams table). Trials are recorded as they end in
this process; those that other processes ran (`--jobs` helpers, other machines on one `--storage`) are
recorded when the model's search ends, from the study. A re-run records only the trials its tracker does
not hold yet. Everything is read from Optuna's record of the trial: tracking changes no trial.

>>> trial_params({"lr": 1e-3}, {"prior": "mixture"}, {"width": 8}, seed=7, number=2, state="pruned")
{'width': 8, 'lr': 0.001, 'prior': 'mixture', 'trial.seed': 7, 'trial.number': 2, 'trial.state': 'pruned'}
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ganvae.training.tracking import Tracker, TrackingConfig

SEARCH_DIR = "search"  # under the top run: `search/<model>` (TensorBoard: tensorboard/search/<model>/)


def trial_params(
    drawn: dict[str, Any], sampling: dict[str, Any], fixed: dict[str, Any], *, seed, number: int, state: str
) -> dict[str, Any]:
    """A trial's parameters: its whole configuration (the fixed values, then what it drew and chose)."""
    return {**fixed, **drawn, **sampling, "trial.seed": seed, "trial.number": number, "trial.state": state}


def trial_state(trial: Any) -> str:
    """complete, pruned, diverged (complete at the worst value, or with a non-finite one) or failed."""
    state = trial.state.name.lower()
    value = trial.value
    if state == "complete" and (
        trial.user_attrs.get("diverged") or value is None or not math.isfinite(value)
    ):
        return "diverged"
    return {"fail": "failed"}.get(state, state)


class SearchRun:
    """The tracked search of one model (a context manager): its run under `tracking`'s parent, and a run
    under it for each trial, recorded by `trial(t)` as the trial ends and by the sweep at the end."""

    def __init__(
        self,
        tracking: TrackingConfig,
        out: Path,
        model: str,
        *,
        metric: str,
        space: dict[str, str],
        fixed: dict[str, Any],
        study: str,
        trials: int,
    ):
        self.out, self.model, self.metric, self.fixed = Path(out), model, metric, fixed
        self.sub = f"{SEARCH_DIR}/{model}"
        # found again by its folder key when the search is run again (a --resume): its trials stay together
        self.tracker: Tracker = tracking.open(out, resume=True, name=f"{model}-search", sub=self.sub)
        self.tracker.params(
            {"model": model, "study": study, "trials": trials, "space": space, "fixed": fixed}
        )
        self.for_trials = tracking if self.tracker.run_id is None else _child(tracking, self.tracker.run_id)
        self.recorded = self.tracker.children()

    def trial(self, t: Any) -> None:
        """Record finished trial `t` (an Optuna FrozenTrial) unless it is recorded already."""
        name = f"trial-{t.number}"
        if name in self.recorded or t.datetime_complete is None or t.user_attrs.get("surplus"):
            return
        state = trial_state(t)
        tracker = self.for_trials.open(
            self.out, name=name, sub=f"{self.sub}/{name}", started=t.datetime_start.timestamp()
        )
        figures = {}
        if t.value is not None and math.isfinite(t.value):
            figures[f"validation/{self.metric}"] = float(t.value)
        if (train_s := t.user_attrs.get("train_s")) is not None:
            figures["train_s"] = float(train_s)
        params = trial_params(
            dict(t.params),
            t.user_attrs.get("sampling", {}),
            self.fixed,
            seed=t.user_attrs.get("seed"),
            number=t.number,
            state=state,
        )
        tracker.params(params, figures or None)  # TensorBoard writes no HParams row for empty figures
        for _elapsed, step, value in t.user_attrs.get("curve", []):
            if math.isfinite(value):
                tracker.metrics({f"eval/{self.metric}": float(value)}, int(step))
        tracker.close(
            "FAILED" if state in ("diverged", "failed") else "FINISHED", t.datetime_complete.timestamp()
        )
        self.recorded.add(name)

    def finish(self, study: Any, best: dict[str, Any] | None) -> None:
        """Record the trials other processes ran, then the best trial's figure."""
        for t in study.get_trials(deepcopy=False):
            self.trial(t)
        if best is not None and best["value"] is not None and math.isfinite(best["value"]):
            self.tracker.metrics(
                {f"best/{self.metric}": float(best["value"]), "best/trial": best["number"]}, 0
            )

    def __enter__(self) -> SearchRun:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self.tracker.end(kind)


def _child(tracking: TrackingConfig, parent: str) -> TrackingConfig:
    from dataclasses import replace

    return replace(tracking, parent=parent)
