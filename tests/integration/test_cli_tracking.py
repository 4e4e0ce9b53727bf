"""`--logger` on the command line: a comparison tracked in MLflow (one run, its model runs as children,
its final figures and report), and one clear line for an unknown logger."""

from __future__ import annotations

import json

import pytest

from .helpers import run

FAST = ["--steps", "4", "--seeds", "1", "--samples", "40", "--recon-images", "8", "--batch-size", "32"]
SMALL = ["--set", "width=8", "--set", "latent_dim=8", "-q"]


@pytest.mark.parametrize(
    "command",
    [
        ["train", "vae", "--out", "{out}"],
        ["compare", "--out", "{out}"],
        ["task", "denoise", "--out", "{out}"],
    ],
)
def test_an_unknown_logger_is_one_line_listing_the_valid_ones(command, tmp_path, capsys):
    argv = [a.replace("{out}", str(tmp_path / "r")) for a in command]
    code, _, err = run([*argv, "--logger", "wandb"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "--logger 'wandb' unknown; choose one of none, tensorboard, mlflow" in err
    assert not (tmp_path / "r").exists()


def test_a_comparison_tracked_in_mlflow(tmp_path, capsys, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "cmp"
    code, _, err = run(
        ["compare", "--models", "vae", "--out", out, *FAST, *SMALL, "--logger", "mlflow"], capsys
    )
    assert code == 0, err
    client = MlflowClient(f"sqlite:///{out.resolve() / 'mlruns.db'}")
    runs = client.search_runs([client.get_experiment_by_name("cmp").experiment_id])
    [top] = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    [child] = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == top.info.run_id]
    assert top.info.status == child.info.status == "FINISHED" and child.info.run_name == "vae-seed0"
    metrics = json.loads((out / "metrics.json").read_text())
    assert top.data.metrics["vae/fd"] == pytest.approx(metrics["summary"]["vae"]["fd"]["mean"], rel=1e-12)
    assert top.data.params["seeds"] == "1" and top.data.params["eval.n_samples"] == "40"
    assert {"report.html", "metrics.json"} <= {a.path for a in client.list_artifacts(top.info.run_id)}
    log = [json.loads(x) for x in (out / "models" / "vae-seed0" / "log.jsonl").read_text().splitlines()]
    curve = {r["step"]: r["fd"] for r in log if r.get("kind") == "eval"}
    tracked = {m.step: m.value for m in client.get_metric_history(child.info.run_id, "eval/fd")}
    assert curve and tracked == pytest.approx(curve, rel=1e-12)


def test_a_task_tracked_in_tensorboard(tmp_path, capsys):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "task"
    argv = [
        "task",
        "denoise",
        "--models",
        "vae",
        "--steps",
        "4",
        "--out",
        out,
        *SMALL,
        "--logger",
        "tensorboard",
    ]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    model = out / "models" / "vae-seed0"
    events = EventAccumulator(str(model / "tensorboard")).Reload()
    log = [json.loads(x) for x in (model / "log.jsonl").read_text().splitlines()]
    losses = {r["step"]: r["loss"] for r in log if "loss" in r}
    assert losses and {e.step: e.value for e in events.Scalars("train/loss")} == pytest.approx(
        losses, rel=1e-6
    )
    assert "samples" in events.Tags()["images"]
    top = EventAccumulator(str(out / "tensorboard")).Reload()  # the task's own run: its settings
    assert "_hparams_/session_start_info" in top.PluginTagToContent("hparams")


def _break_vae_at(monkeypatch, step: int, *, signum: int | None = None) -> None:
    """From training step `step` on, the VAE's step raises an error (or, once, sends this process
    `signum`: the loop stops at a checkpoint)."""
    import os

    from ganvae.models.vae import VAE

    real = VAE.train_step

    def broken(self, x, y, opts, at):
        if at == step and signum is not None:
            os.kill(os.getpid(), signum)
        elif at >= step and signum is None:
            raise RuntimeError("injected failure")
        return real(self, x, y, opts, at)

    monkeypatch.setattr(VAE, "train_step", broken)


def _runs(folder):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{folder.resolve() / 'mlruns.db'}")
    runs = client.search_runs([client.get_experiment_by_name(folder.name).experiment_id])
    [top] = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == top.info.run_id]
    return top, children


@pytest.mark.parametrize("signum", [None, 2], ids=["exception", "sigint"])
def test_a_failed_or_interrupted_comparison_ends_its_mlflow_runs_so(signum, tmp_path, capsys, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _break_vae_at(monkeypatch, 2, signum=signum)
    out = tmp_path / "cmp"
    argv = ["compare", "--models", "vae", "--out", out, *FAST, *SMALL, "--logger", "mlflow"]
    if signum is None:
        with pytest.raises(RuntimeError, match="injected failure"):  # not a user error: a traceback
            run(argv, capsys)
        status = "FAILED"
    else:
        code, _, err = run(argv, capsys)
        assert code == 130 and "interrupted at step" in err
        status = "KILLED"
    top, [child] = _runs(out)
    assert top.info.status == child.info.status == status and child.info.run_name == "vae-seed0"


def test_a_failed_task_ends_its_mlflow_run_failed(tmp_path, capsys, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _break_vae_at(monkeypatch, 2)
    out = tmp_path / "task"
    argv = ["task", "denoise", "--models", "vae", "--steps", "4", "--out", out, *SMALL, "--logger", "mlflow"]
    with pytest.raises(RuntimeError, match="injected failure"):
        run(argv, capsys)
    top, [child] = _runs(out)
    assert top.info.status == child.info.status == "FAILED"  # the task's run too, not left RUNNING


def test_a_comparison_stopped_outside_training_ends_its_mlflow_runs_killed(tmp_path, capsys, monkeypatch):
    """SIGTERM while a run is evaluated (after its loop ended): exit 143, one line, the run KILLED."""
    import os
    import signal

    import ganvae.evaluate.images as images

    pytest.importorskip("mlflow")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    real = images.evaluate_model

    def stopped(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises in this frame, before the next line
        return real(*args, **kwargs)

    monkeypatch.setattr(images, "evaluate_model", stopped)
    out = tmp_path / "cmp"
    code, _, err = run(
        ["compare", "--models", "vae", "--out", out, *FAST, *SMALL, "--logger", "mlflow"], capsys
    )
    assert code == 143 and err.strip().splitlines()[-1].startswith(f"stopped by SIGTERM; {out}: ")
    assert "Traceback" not in err and not (out / ".lock").exists()
    top, _ = _runs(out)
    assert top.info.status == "KILLED"
