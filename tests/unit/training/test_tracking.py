"""`--logger tensorboard` / `--logger mlflow`: what the trackers hold, read back with TensorBoard's event
reader and MLflow's client, equals what log.jsonl recorded; and a tracker changes no weight."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from ganvae.errors import ConfigError
from ganvae.training import TrainConfig
from ganvae.training.run import train
from ganvae.training.tracking import FOLDER_TAG, TrackingConfig

pytest.importorskip("tensorboard")
pytest.importorskip("mlflow")

SMALL = {"width": 8, "latent_dim": 8}
CFG = TrainConfig(steps=12, batch_size=32, log_every=4, sample_every=6, checkpoint_every=6, seed=1)


def _figure(model) -> dict[str, float]:
    """A stand-in in-training evaluation: any figure that moves with the weights."""
    with torch.no_grad():
        return {"fd": float(sum(p.abs().sum() for p in model.parameters()))}


def _log(folder) -> list[dict]:
    return [json.loads(x) for x in (folder / "log.jsonl").read_text().splitlines()]


def _expected(folder) -> dict[str, dict[int, float]]:
    """log.jsonl as tracker series: `train/<key>` and `eval/<key>` -> {step: value}."""
    series: dict[str, dict[int, float]] = {}
    for r in _log(folder):
        kind = r.get("kind", "train")
        for k, v in r.items():
            if k not in ("step", "kind") and isinstance(v, int | float):
                series.setdefault(f"{kind}/{k}", {})[r["step"]] = float(v)
    return series


def _train(tiny_digits, folder, tracking, cfg=CFG, **kw):
    return train(
        "vae", tiny_digits, folder, cfg, SMALL, progress=False, evaluate=_figure, tracking=tracking, **kw
    )


def test_tensorboard_events_hold_the_log_grids_and_hyperparameters(tiny_digits, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    run = tmp_path / "run"
    _train(tiny_digits, run, TrackingConfig("tensorboard"))
    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0, "scalars": 0}).Reload()
    expected = _expected(run)
    assert "eval/fd" in expected and any(k.startswith("train/loss") for k in expected)
    for tag, by_step in expected.items():
        got = {e.step: e.value for e in events.Scalars(tag)}
        assert got.keys() == by_step.keys(), tag
        for step, value in by_step.items():  # TensorBoard keeps float32
            assert got[step] == pytest.approx(value, rel=1e-6, abs=1e-6), (tag, step)
    grids = sorted(int(p.stem.split("-")[1]) for p in (run / "samples").glob("*.png"))
    assert [e.step for e in events.Images("samples")] == grids == [6, 12]
    first = events.Images("samples")[0]
    from PIL import Image

    with Image.open(run / "samples" / "step-0000006.png") as png:
        assert (first.width, first.height) == png.size
    raw = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    hparams = plugin_data_pb2.HParamsPluginData.FromString(raw).session_start_info.hparams
    assert hparams["train.batch_size"].number_value == 32
    assert hparams["train.steps"].number_value == 12
    assert hparams["model.width"].number_value == 8


def test_mlflow_run_holds_the_log_params_grids_and_resumes_into_the_same_run(tiny_digits, tmp_path):
    from mlflow.tracking import MlflowClient

    run = tmp_path / "run"
    half = TrainConfig(**{**CFG.__dict__, "steps": 6})
    _train(tiny_digits, run, TrackingConfig("mlflow"), cfg=half)
    _train(tiny_digits, run, TrackingConfig("mlflow"), resume=True)  # 6 more steps
    client = MlflowClient(f"sqlite:///{run.resolve() / 'mlruns.db'}")
    [found] = client.search_runs([client.get_experiment_by_name("run").experiment_id])
    assert found.info.status == "FINISHED" and found.data.tags[FOLDER_TAG] == str(run.resolve())
    for key, by_step in _expected(run).items():
        history = {m.step: m.value for m in client.get_metric_history(found.info.run_id, key)}
        assert history == pytest.approx(by_step, rel=1e-12), key
    assert found.data.params["train.batch_size"] == "32" and found.data.params["model.width"] == "8"
    assert found.data.params["train.steps"] == "6"  # parameters keep the values they were first given
    artifacts = [a.path for a in client.list_artifacts(found.info.run_id, "images")]
    assert {6, 12} <= {int(a.split("+step+")[1].split("+")[0]) for a in artifacts if "samples+" in a}
    assert (run / "mlartifacts").is_dir() and not (tmp_path / "mlruns").exists()


def test_a_tracker_changes_no_weight(tiny_digits, tmp_path):
    for logger in ("none", "tensorboard", "mlflow"):
        _train(tiny_digits, tmp_path / logger, TrackingConfig(logger))
    plain = load_file(str(tmp_path / "none" / "model.safetensors"))
    for logger in ("tensorboard", "mlflow"):
        tracked = load_file(str(tmp_path / logger / "model.safetensors"))
        for key in plain:
            torch.testing.assert_close(tracked[key], plain[key], rtol=0, atol=0, msg=f"{logger}: {key}")
        losses = [{k: v for k, v in r.items() if "loss" in k} for r in _log(tmp_path / logger)]
        assert losses == [{k: v for k, v in r.items() if "loss" in k} for r in _log(tmp_path / "none")]


def test_bad_tracking_options():
    with pytest.raises(
        ConfigError, match="--logger 'wandb' unknown; choose one of none, tensorboard, mlflow"
    ):
        TrackingConfig("wandb").validate()
    with pytest.raises(ConfigError, match="--tracking-uri .* --logger mlflow"):
        TrackingConfig("tensorboard", "sqlite:///x.db").validate()


def test_the_default_uri_is_a_sqlite_file_in_the_top_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    rooted = TrackingConfig("mlflow").rooted(tmp_path / "cmp")
    assert rooted.uri == f"sqlite:///{(tmp_path / 'cmp').resolve()}/mlruns.db" and rooted.experiment == "cmp"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracker:5000")
    assert TrackingConfig("mlflow").rooted(tmp_path).uri == "http://tracker:5000"
    assert TrackingConfig("mlflow", "file:///m").rooted(tmp_path).uri == "file:///m"  # --tracking-uri wins


def test_an_mlflow_server_that_cannot_be_reached_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow's own retries take minutes
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with pytest.raises(
        ConfigError, match=r"MLflow at http://127.0.0.1:9 cannot be used \(.*\); check --tracking"
    ):
        TrackingConfig("mlflow", "http://127.0.0.1:9").open(tmp_path / "run")


class _Stop:
    """An in-training evaluation that, at `step`, raises `error` or sends this process `signal`."""

    def __init__(self, step: int, error: BaseException | None = None, signum: int | None = None):
        self.step, self.error, self.signum, self.calls = step, error, signum, 0

    def __call__(self, model) -> dict[str, float]:
        import os

        self.calls += 1
        if self.calls == self.step:
            if self.error is not None:
                raise self.error
            os.kill(os.getpid(), self.signum)  # the loop's handler: a checkpoint, then Interrupted
        return _figure(model)


def _stopped(tiny_digits, folder, logger, stop, expected):
    """Train into `folder` with `stop` as the evaluation; the error the run ends with must be `expected`."""
    cfg = TrainConfig(**{**CFG.__dict__, "eval_every": 1})
    with pytest.raises(expected):
        train("vae", tiny_digits, folder, cfg, SMALL, progress=False, evaluate=stop, tracking=logger)


def _mlflow_run(folder):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{folder.resolve() / 'mlruns.db'}")
    [found] = client.search_runs([client.get_experiment_by_name(folder.name).experiment_id])
    return client, found


@pytest.mark.parametrize(
    "how, status",
    [({"error": RuntimeError("injected")}, "FAILED"), ({"signum": 2}, "KILLED"), ({"signum": 15}, "KILLED")],
    ids=["exception", "sigint", "sigterm"],
)
def test_a_failed_or_interrupted_run_ends_so_in_mlflow_with_its_figures_so_far(
    tiny_digits, tmp_path, how, status
):
    from ganvae.training.loop import Interrupted

    run = tmp_path / "run"
    _stopped(
        tiny_digits,
        run,
        TrackingConfig("mlflow"),
        _Stop(7, **how),
        RuntimeError if "error" in how else Interrupted,
    )
    client, found = _mlflow_run(run)
    assert found.info.status == status and found.info.end_time is not None
    series = _expected(run)
    assert 4 <= max(series["train/loss"]) < CFG.steps  # what was logged before the stop (at step 7 or 8)
    for key, by_step in series.items():
        history = {m.step: m.value for m in client.get_metric_history(found.info.run_id, key)}
        assert history == pytest.approx(by_step, rel=1e-12), key


def test_a_diverged_run_ends_failed(tiny_digits, tmp_path, monkeypatch):
    from ganvae.errors import TrainingDiverged
    from ganvae.models.vae import VAE

    real = VAE.train_step

    def nan_from_step_5(self, x, y, opts, step):
        logs = real(self, x, y, opts, step)
        return {**logs, "loss": float("nan")} if step >= 5 else logs

    monkeypatch.setattr(VAE, "train_step", nan_from_step_5)
    run = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match="NaN or infinite"):  # the NaN guard
        _train(tiny_digits, run, TrackingConfig("mlflow"))
    assert _mlflow_run(run)[1].info.status == "FAILED"


@pytest.mark.parametrize("signum", [None, 15], ids=["exception", "sigterm"])
def test_a_failed_run_flushes_and_closes_its_tensorboard_events(tiny_digits, tmp_path, signum):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from ganvae.training.loop import Interrupted

    run = tmp_path / "run"
    stop = _Stop(7, error=RuntimeError("injected")) if signum is None else _Stop(7, signum=signum)
    _stopped(
        tiny_digits, run, TrackingConfig("tensorboard"), stop, RuntimeError if signum is None else Interrupted
    )
    # read while this process lives: TensorBoard's writer flushes every 120 s unless closed
    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0}).Reload()
    for tag, by_step in _expected(run).items():
        assert {e.step: e.value for e in events.Scalars(tag)} == pytest.approx(by_step, rel=1e-6), tag
