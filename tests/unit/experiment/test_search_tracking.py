"""The search's trials recorded from Optuna's own record (`experiment.search_tracking`), as a search run by
other processes leaves them: read back with MLflow's client. Trials are made with Optuna's create_trial,
so no model trains here."""

from __future__ import annotations

import pytest

from ganvae.experiment.search_tracking import SearchRun
from ganvae.training.tracking import TrackingConfig

optuna = pytest.importorskip("optuna")
pytest.importorskip("mlflow")


def _trial(value, state, curve=(), **attrs):
    """A finished trial as Optuna records it (its start and end: now)."""
    from optuna.distributions import FloatDistribution
    from optuna.trial import create_trial

    return create_trial(
        state=state,
        value=value,
        params={"lr": 1e-3},
        distributions={"lr": FloatDistribution(1e-4, 1e-2, log=True)},
        user_attrs={"seed": 5, "curve": [list(c) for c in curve], **attrs},
        intermediate_values={i: v for i, (_, _, v) in enumerate(curve)},
    )


def test_trials_are_recorded_once_with_their_state_figure_and_curve(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient
    from optuna.trial import TrialState

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    study = optuna.create_study(direction="minimize")
    complete = _trial(12.5, TrialState.COMPLETE, curve=[(0.1, 2, 20.0), (0.2, 4, 12.5)], train_s=0.2)
    pruned = _trial(30.0, TrialState.PRUNED, curve=[(0.1, 2, 30.0)])
    diverged = _trial(float("inf"), TrialState.COMPLETE, diverged="loss became NaN")
    for t in (complete, pruned, diverged):
        study.add_trial(t)
    out = tmp_path / "cmp"
    tracking = TrackingConfig("mlflow").rooted(out)
    space = {"lr": "log-uniform 0.0001..0.01"}

    def search() -> None:
        with SearchRun(
            tracking, out, "vae", metric="NDCG@100", space=space, fixed={"width": 8}, study="s", trials=3
        ) as run:
            run.trial(study.trials[0])  # as it ends in this process; the others come from the sweep
            run.finish(study, {"number": 0, "value": 12.5})

    search()
    search()  # run again (a --resume): the same search run, no trial recorded twice
    client = MlflowClient(tracking.uri)
    runs = client.search_runs([client.get_experiment_by_name("cmp").experiment_id])
    [parent] = [r for r in runs if r.info.run_name == "vae-search"]
    trials = {r.info.run_name: r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id}
    assert len(runs) == 4 and set(trials) == {"trial-0", "trial-1", "trial-2"}
    assert parent.data.metrics["best/NDCG_100"] == 12.5 and parent.data.params["space.lr"] == space["lr"]
    states = {n: (r.info.status, r.data.params["trial.state"]) for n, r in trials.items()}
    assert states == {
        "trial-0": ("FINISHED", "complete"),
        "trial-1": ("FINISHED", "pruned"),
        "trial-2": ("FAILED", "diverged"),
    }
    first = trials["trial-0"]
    assert first.data.params["lr"] == "0.001" and first.data.params["width"] == "8"
    assert first.data.params["trial.seed"] == "5"
    assert first.data.metrics["validation/NDCG_100"] == 12.5 and first.data.metrics["train_s"] == 0.2
    curve = {m.step: m.value for m in client.get_metric_history(first.info.run_id, "eval/NDCG_100")}
    assert curve == {2: 20.0, 4: 12.5}
    assert "validation/NDCG_100" not in trials["trial-2"].data.metrics  # an infinite figure is not logged
    assert first.info.start_time == int(study.trials[0].datetime_start.timestamp() * 1000)
