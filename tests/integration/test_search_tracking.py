"""`--search N --logger ...`: each trial is a tracked run — in MLflow nested under its model's search
run, itself under the comparison's; in TensorBoard one sub-folder per trial — read back with MLflow's
client and TensorBoard's event reader and checked against the trials metrics.json records."""

from __future__ import annotations

import json

import pytest

from .helpers import run

ARGS = [
    "compare",
    "--models",
    "vae",
    "--search",
    "2",
    "--steps",
    "6",
    "--seeds",
    "1",
    "--samples",
    "40",
    "--recon-images",
    "8",
    "--batch-size",
    "32",
    "--set",
    "width=8",
    "-q",
]


def _trials(out) -> list[dict]:
    search = json.loads((out / "metrics.json").read_text())["search"]["models"]["vae"]
    assert len(search["trials"]) == 2
    return search["trials"]


def _config(row) -> dict[str, str]:
    """A trial's configuration as tracked parameters (text): the --set values, then what it drew."""
    return {"width": "8", **{k: str(v) for k, v in {**row["params"], **row["sampling"]}.items()}}


def test_search_trials_are_nested_mlflow_runs(tmp_path, capsys, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "cmp"
    code, _, err = run([*ARGS, "--out", out, "--logger", "mlflow"], capsys)
    assert code == 0, err
    client = MlflowClient(f"sqlite:///{out.resolve() / 'mlruns.db'}")
    runs = client.search_runs([client.get_experiment_by_name("cmp").experiment_id])
    parent = {r.info.run_id: r.data.tags.get("mlflow.parentRunId") for r in runs}
    [top] = [r for r in runs if parent[r.info.run_id] is None]
    [search] = [r for r in runs if r.info.run_name == "vae-search"]
    assert parent[search.info.run_id] == top.info.run_id and search.info.status == "FINISHED"
    assert {r.info.run_name for r in runs if parent[r.info.run_id] == top.info.run_id} == {
        "vae-search",
        "vae-seed0",
    }
    trials = {r.info.run_name: r for r in runs if parent[r.info.run_id] == search.info.run_id}
    assert set(trials) == {"trial-0", "trial-1"}
    for row in _trials(out):
        tracked = trials[f"trial-{row['number']}"]
        params = tracked.data.params
        assert {k: params[k] for k in _config(row)} == _config(row)
        assert params["trial.seed"] == str(row["seed"]) and params["trial.state"] == row["state"]
        assert tracked.data.metrics["validation/FD"] == pytest.approx(row["value"], rel=1e-12)
        curve = {m.step: m.value for m in client.get_metric_history(tracked.info.run_id, "eval/FD")}
        assert curve and curve == pytest.approx({s: v for _, s, v in row["curve"]}, rel=1e-12)
        assert tracked.info.status == "FINISHED"
    best = json.loads((out / "metrics.json").read_text())["search"]["models"]["vae"]["best"]
    assert search.data.metrics["best/FD"] == pytest.approx(best["value"], rel=1e-12)

    # a re-run finds every trial in the study: it records none twice
    code, _, err = run([*ARGS, "--out", out, "--logger", "mlflow", "--resume"], capsys)
    assert code == 0, err
    again = client.search_runs([client.get_experiment_by_name("cmp").experiment_id])
    assert len(again) == len(runs)


def test_search_trials_are_tensorboard_sub_folders(tmp_path, capsys):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    out = tmp_path / "cmp"
    code, _, err = run([*ARGS, "--out", out, "--logger", "tensorboard"], capsys)
    assert code == 0, err
    where = out / "tensorboard" / "search" / "vae"
    assert sorted(p.name for p in where.iterdir() if p.is_dir()) == ["trial-0", "trial-1"]
    for row in _trials(out):
        events = EventAccumulator(
            str(where / f"trial-{row['number']}"), size_guidance={"scalars": 0}
        ).Reload()
        curve = {e.step: e.value for e in events.Scalars("eval/FD")}
        assert curve == pytest.approx({s: v for _, s, v in row["curve"]}, rel=1e-6)
        raw = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        hparams = plugin_data_pb2.HParamsPluginData.FromString(raw).session_start_info.hparams
        for key, value in row["params"].items():
            assert hparams[key].number_value == pytest.approx(value, rel=1e-6)
        assert events.Scalars("validation/FD")[0].value == pytest.approx(row["value"], rel=1e-6)
