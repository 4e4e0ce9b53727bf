"""Experiment tracking (`--logger tensorboard` / `--logger mlflow`): what the loop writes to log.jsonl,
also sent to the tracker people already use.

TensorBoard goes through Lightning Fabric's own `TensorBoardLogger` (the loop already runs on Fabric):
event files in `RUN/tensorboard/` of each run folder (each model/seed folder of a comparison) with the
losses, the in-training FD curve, sample grids as images and the hyperparameters. Fabric has no MLflow
logger, so MLflow goes through mlflow's own client: by default a SQLite database `RUN/mlruns.db` of the
top folder (artifacts in `RUN/mlartifacts/`), any tracking URI with `--tracking-uri` or
MLFLOW_TRACKING_URI. A comparison or task is one MLflow run whose model/seed runs are its children; it
gets the final figures and report.html at the end. A resumed run folder continues its own MLflow run.

Trackers only read what the loop already computed, never a random number generator, so a run trains the
same weights with or without one. Both libraries are imported only when asked for (extra `tracking`).

>>> TrackingConfig("tensorboard").validate()
>>> TrackingConfig("wandb").validate()
Traceback (most recent call last):
...
ganvae.errors.ConfigError: --logger 'wandb' unknown; choose one of none, tensorboard, mlflow
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ganvae.errors import ConfigError
from ganvae.run_folder import MLARTIFACTS as MLFLOW_ARTIFACTS
from ganvae.run_folder import MLRUNS as MLFLOW_DB
from ganvae.run_folder import TENSORBOARD as TENSORBOARD_DIR

FOLDER_TAG = "ganvae.folder"  # the run folder an MLflow run tracks: a resumed folder finds its run by it
PARENT_TAG = "mlflow.parentRunId"  # MLflow's own tag for a nested run


@dataclass(frozen=True)
class TrackingConfig:
    """Which tracker (`logger`), and for MLflow where (`uri`), in which experiment, under which parent run."""

    logger: str = "none"
    uri: str | None = None
    experiment: str | None = None
    parent: str | None = None  # the MLflow run id of the comparison or task a model run belongs to

    def validate(self) -> None:
        if self.logger not in TRACKERS:
            raise ConfigError(f"--logger {self.logger!r} unknown; choose one of {', '.join(TRACKERS)}")
        if self.uri is not None and self.logger != "mlflow":
            raise ConfigError("--tracking-uri is where MLflow writes; give it with --logger mlflow")
        TRACKERS[self.logger].check()

    @property
    def active(self) -> bool:
        return self.logger != "none"

    def rooted(self, folder: str | Path) -> TrackingConfig:
        """This config for a top folder (a train run, a comparison or a task): MLflow's URI, when neither
        --tracking-uri nor MLFLOW_TRACKING_URI gives one, is `sqlite:///FOLDER/mlruns.db`; the experiment
        is named after the folder."""
        if self.logger != "mlflow":
            return self
        folder = Path(folder).resolve()
        uri = self.uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{folder / MLFLOW_DB}"
        return replace(self, uri=uri, experiment=self.experiment or folder.name)

    def open(self, folder: str | Path, *, resume: bool = False, name: str | None = None) -> Tracker:
        """The tracker of run folder `folder`; with `resume`, the one that folder was tracked by before. A
        config not `rooted` in a top folder yet is rooted in `folder`."""
        cfg = self if self.uri or self.logger != "mlflow" else self.rooted(folder)
        return TRACKERS[self.logger](cfg, Path(folder), resume=resume, name=name)


class Tracker:
    """No tracking: the interface every tracker implements, doing nothing."""

    run_id: str | None = None

    def __init__(self, cfg: TrackingConfig, folder: Path, *, resume: bool = False, name: str | None = None):
        self.cfg, self.folder = cfg, folder

    @staticmethod
    def check() -> None:
        """ConfigError when the tracker's library is not installed."""

    def params(self, params: dict[str, Any]) -> None:
        """Hyperparameters, once (nested dicts are flattened to `a.b`)."""

    def metrics(self, values: dict[str, float], step: int) -> None:
        """Scalar figures at `step`."""

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        """An H x W x C uint8 picture at `step` (a sample grid)."""

    def artifact(self, path: Path) -> None:
        """A file (report.html)."""

    def purge(self, step: int) -> None:
        """A resumed run: what the interrupted run logged after `step` is written again from here."""

    def text(self, tag: str, text: str) -> None:
        """A few lines of text (a comparison's verdicts)."""

    def close(self, status: str = "FINISHED") -> None:
        """Flush and end the run: FINISHED, FAILED or KILLED."""


class TensorBoardTracker(Tracker):
    """Lightning Fabric's TensorBoard logger, writing into `FOLDER/tensorboard/`."""

    def __init__(self, cfg: TrackingConfig, folder: Path, *, resume: bool = False, name: str | None = None):
        super().__init__(cfg, folder)
        from lightning_fabric.loggers import TensorBoardLogger

        self._resume = resume
        self.logger = TensorBoardLogger(root_dir=folder, name=TENSORBOARD_DIR, version="")

    @staticmethod
    def check() -> None:
        _require("tensorboard", "tensorboard")

    def purge(self, step: int) -> None:
        # the events the interrupted run wrote after its checkpoint are hidden (the loop writes them
        # again), as log.jsonl drops its records: SummaryWriter's purge_step, before the first write
        from lightning_fabric.loggers import TensorBoardLogger

        if self._resume:
            self.logger = TensorBoardLogger(
                root_dir=self.folder, name=TENSORBOARD_DIR, version="", purge_step=step + 1
            )

    def params(self, params: dict[str, Any]) -> None:
        self.logger.log_hyperparams(flatten(params))

    def metrics(self, values: dict[str, float], step: int) -> None:
        self.logger.log_metrics(values, step)

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        self.logger.experiment.add_image(tag, image, step, dataformats="HWC")

    def text(self, tag: str, text: str) -> None:
        self.logger.experiment.add_text(tag, text)

    def close(self, status: str = "FINISHED") -> None:
        self.logger.finalize(status.lower())


class MlflowTracker(Tracker):
    """One MLflow run through mlflow's client (Fabric has no MLflow logger)."""

    def __init__(self, cfg: TrackingConfig, folder: Path, *, resume: bool = False, name: str | None = None):
        super().__init__(cfg, folder)
        from mlflow.tracking import MlflowClient

        # the database's first use migrates its tables and says so at INFO level, between progress lines
        for quiet in ("mlflow.store.db.utils", "alembic"):
            logging.getLogger(quiet).setLevel(logging.WARNING)
        from mlflow.exceptions import MlflowException

        self._known: dict[str, str] = {}
        try:
            self.client = MlflowClient(tracking_uri=cfg.uri)
            self.experiment_id = self._experiment()
            key = str(folder.resolve())
            self.run_id = self._find(key) if resume else None
            if self.run_id is None:
                tags = {FOLDER_TAG: key, **({PARENT_TAG: cfg.parent} if cfg.parent else {})}
                self.run_id = self.client.create_run(self.experiment_id, tags=tags, run_name=name).info.run_id
            else:
                self._known = dict(self.client.get_run(self.run_id).data.params)
                self.client.update_run(self.run_id, status="RUNNING")
        except MlflowException as e:  # a server that cannot be reached (after MLflow's own retries)...
            reason = str(e).splitlines()[0][:200]
            raise ConfigError(
                f"MLflow at {cfg.uri} cannot be used ({reason}); check --tracking-uri or MLFLOW_TRACKING_URI"
            ) from None

    @staticmethod
    def check() -> None:
        _require("mlflow-skinny", "mlflow")

    def _experiment(self) -> str:
        name = self.cfg.experiment or "ganvae"
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        # the default SQLite database keeps its artifacts beside it (else they land in the working folder)
        db = _sqlite_path(self.cfg.uri)
        where = str(db.parent / MLFLOW_ARTIFACTS) if db is not None else None
        return self.client.create_experiment(name, artifact_location=where)

    def _find(self, key: str) -> str | None:
        quoted = key.replace("'", "\\'")
        runs = self.client.search_runs(
            [self.experiment_id], filter_string=f"tags.`{FOLDER_TAG}` = '{quoted}'", max_results=1
        )
        return runs[0].info.run_id if runs else None

    def params(self, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        # MLflow refuses to change a logged parameter: a resumed run (a new budget) keeps the first values
        new = {k: _param_text(v) for k, v in flatten(params).items() if k not in self._known}
        items = [Param(k, v) for k, v in new.items()]
        for i in range(0, len(items), 100):  # MLflow's limit per batch
            self.client.log_batch(self.run_id, params=items[i : i + 100])
        self._known.update(new)

    def metrics(self, values: dict[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, step) for k, v in values.items()]
        if items:
            self.client.log_batch(self.run_id, metrics=items)

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        # MLflow's images over steps (its UI shows them on a step slider)
        self.client.log_image(self.run_id, _squeeze(image), key=tag, step=step)

    def artifact(self, path: Path) -> None:
        self.client.log_artifact(self.run_id, str(path))

    def text(self, tag: str, text: str) -> None:
        self.client.log_text(self.run_id, text, f"{tag}.txt")

    def close(self, status: str = "FINISHED") -> None:
        self.client.set_terminated(self.run_id, status=status)


class TopRun:
    """The tracked run of a comparison or task folder: its settings as parameters, its model runs as
    children (`children`: the config they are opened with), its final figures and report at the end."""

    def __init__(self, cfg: TrackingConfig, folder: Path, *, resume: bool, params: dict[str, Any]):
        self.folder = Path(folder)
        cfg = cfg.rooted(folder)
        self.tracker = (
            cfg.open(folder, resume=resume, name=self.folder.name) if cfg.active else Tracker(cfg, folder)
        )
        self.tracker.params(params)
        self.children = replace(cfg, parent=self.tracker.run_id)

    def finish(self, metrics: dict[str, float], text: str = "", files: tuple[Path, ...] = ()) -> None:
        """The final figures (at step 0: they are not a curve), a summary and the files (report.html)."""
        self.tracker.metrics(metrics, 0)
        if text:
            self.tracker.text("summary", text)
        for path in files:
            if path.is_file():
                self.tracker.artifact(path)

    def __enter__(self) -> TopRun:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.tracker.close("FINISHED")
        else:
            stopped = issubclass(kind, KeyboardInterrupt) or kind.__name__ == "Interrupted"  # Ctrl-C
            self.tracker.close("KILLED" if stopped else "FAILED")


TRACKERS: dict[str, type[Tracker]] = {
    "none": Tracker,
    "tensorboard": TensorBoardTracker,
    "mlflow": MlflowTracker,
}


def record_metrics(record: dict[str, Any]) -> tuple[dict[str, float], int] | None:
    """A log.jsonl record as tracker scalars: `train/<key>` for a training record, `eval/<key>` for an
    in-training evaluation; None for records that hold no figures (the checkpoint chosen)."""
    kind = record.get("kind", "train")
    if kind not in ("train", "eval"):
        return None
    values = {
        f"{kind}/{k}": float(v)
        for k, v in record.items()
        if k not in ("step", "kind") and isinstance(v, int | float) and not isinstance(v, bool)
    }
    return values, int(record["step"])


def summary_metrics(summary: dict[str, dict[str, dict]]) -> dict[str, float]:
    """A comparison's final figures, `<model>/<figure>`: each figure's mean over seeds."""
    out = {}
    for model, figures in summary.items():
        for key, est in figures.items():
            value = est.get("mean") if isinstance(est, dict) else None
            if isinstance(value, int | float) and math.isfinite(value):
                out[f"{model}/{key}"] = float(value)
    return out


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, dict) and v:
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _param_text(value: Any) -> str:
    text = "none" if value is None else str(value)
    return text[:6000]  # MLflow's limit on a parameter's value


def _squeeze(image: np.ndarray) -> np.ndarray:
    return image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image


def _sqlite_path(uri: str | None) -> Path | None:
    prefix = "sqlite:///"
    if uri and uri.startswith(prefix):
        return Path(uri[len(prefix) :])
    return None


def _require(package: str, module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"--logger needs {package}: pip install 'ganvae[tracking]'")
