"""Experiment tracking (`--logger tensorboard` / `--logger mlflow`): what the loop writes to log.jsonl,
also sent to the tracker people already use.

TensorBoard goes through Lightning Fabric's own `TensorBoardLogger` (the loop already runs on Fabric):
event files in `RUN/tensorboard/` of each run folder (each model/seed folder of a comparison) with the
losses, the in-training FD curve, sample grids as images and the hyperparameters. Fabric has no MLflow
logger, so MLflow goes through mlflow's own client: by default a SQLite database `RUN/mlruns.db` of the
top folder (artifacts in `RUN/mlartifacts/`), any tracking URI with `--tracking-uri` or
MLFLOW_TRACKING_URI. A comparison or task is one MLflow run whose model/seed runs are its children; it
gets the final figures and report.html at the end. A resumed run folder continues its own MLflow run.
A search's trials (`--search N`) are runs too (`experiment.search_tracking`): in MLflow nested under
their model's search run, in TensorBoard one sub-folder each of `RUN/tensorboard/search/`.

A run that fails or is interrupted ends as such: MLflow's status FAILED (an error, a diverged run) or
KILLED (SIGINT/SIGTERM, Ctrl-C), never left RUNNING; TensorBoard's writer is flushed and closed either way.

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
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ganvae.errors import ConfigError, Interrupted
from ganvae.run_folder import MLARTIFACTS as MLFLOW_ARTIFACTS
from ganvae.run_folder import MLRUNS as MLFLOW_DB
from ganvae.run_folder import TENSORBOARD as TENSORBOARD_DIR

log = logging.getLogger(__name__)
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

    def open(
        self,
        folder: str | Path,
        *,
        resume: bool = False,
        name: str | None = None,
        sub: str = "",
        started: float | None = None,
    ) -> Tracker:
        """The tracker of run folder `folder`; with `resume`, the one that folder was tracked by before (or
        a new one). A config not `rooted` in a top folder yet is rooted in `folder`. `sub`: a run inside
        the folder's (a search trial: TensorBoard's `FOLDER/tensorboard/SUB/`); `started`: when the run
        began (a time.time(), for a run recorded after it ended), else now."""
        cfg = self if self.uri or self.logger != "mlflow" else self.rooted(folder)
        return TRACKERS[self.logger](cfg, Path(folder), resume=resume, name=name, sub=sub, started=started)


class Tracker:
    """No tracking: the interface every tracker implements, doing nothing."""

    run_id: str | None = None

    def __init__(
        self,
        cfg: TrackingConfig,
        folder: Path,
        *,
        resume: bool = False,
        name: str | None = None,
        sub: str = "",
        started: float | None = None,
    ):
        self.cfg, self.folder, self.sub = cfg, folder, sub

    @staticmethod
    def check() -> None:
        """ConfigError when the tracker's library is not installed."""

    def params(self, params: dict[str, Any], metrics: dict[str, float] | None = None) -> None:
        """Hyperparameters, once (nested dicts are flattened to `a.b`); `metrics`: the figures they are
        judged by (a search trial's validation score), beside them in TensorBoard's HParams table."""

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

    def children(self) -> set[str]:
        """The names of the runs already recorded under this one (a search's trials)."""
        return set()

    def close(self, status: str = "FINISHED", ended: float | None = None) -> None:
        """Flush and end the run: FINISHED, FAILED or KILLED (`ended`: when, a time.time(); else now)."""

    def end(self, error: BaseException | type[BaseException] | None) -> None:
        """Close after `error` (None: success) with the status it means (`status_of`). On a failure a
        tracker that cannot be reached only warns: the run's own error is the one to report."""
        status = status_of(error)
        if status == "FINISHED":
            self.close(status)
            return
        try:
            self.close(status)
        except Exception as exc:  # noqa: BLE001 (any tracker failure; the run's error follows)
            log.warning("the tracked run could not be ended as %s: %s", status, exc)


class TensorBoardTracker(Tracker):
    """Lightning Fabric's TensorBoard logger, writing into `FOLDER/tensorboard/` (`sub`: a folder in it)."""

    def __init__(self, cfg: TrackingConfig, folder: Path, *, resume: bool = False, **where: Any):
        super().__init__(cfg, folder, **where)
        from lightning_fabric.loggers import TensorBoardLogger

        self._resume = resume
        self.logger = TensorBoardLogger(root_dir=folder, name=TENSORBOARD_DIR, version=self.sub)

    @staticmethod
    def check() -> None:
        _require("tensorboard", "tensorboard")

    def purge(self, step: int) -> None:
        # the events the interrupted run wrote after its checkpoint are hidden (the loop writes them
        # again), as log.jsonl drops its records: SummaryWriter's purge_step, before the first write
        from lightning_fabric.loggers import TensorBoardLogger

        if self._resume:
            self.logger = TensorBoardLogger(
                root_dir=self.folder, name=TENSORBOARD_DIR, version=self.sub, purge_step=step + 1
            )

    def params(self, params: dict[str, Any], metrics: dict[str, float] | None = None) -> None:
        self.logger.log_hyperparams(flatten(params), metrics)

    def metrics(self, values: dict[str, float], step: int) -> None:
        self.logger.log_metrics(values, step)

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        self.logger.experiment.add_image(tag, image, step, dataformats="HWC")

    def text(self, tag: str, text: str) -> None:
        self.logger.experiment.add_text(tag, text)

    def children(self) -> set[str]:
        where = Path(self.logger.log_dir)
        return {p.name for p in where.iterdir() if p.is_dir()} if where.is_dir() else set()

    def close(self, status: str = "FINISHED", ended: float | None = None) -> None:
        self.logger.finalize(status.lower())  # flushes and closes the event writer, whatever the status


class MlflowTracker(Tracker):
    """One MLflow run through mlflow's client (Fabric has no MLflow logger)."""

    def __init__(
        self,
        cfg: TrackingConfig,
        folder: Path,
        *,
        resume: bool = False,
        name: str | None = None,
        sub: str = "",
        started: float | None = None,
    ):
        super().__init__(cfg, folder, sub=sub)
        from mlflow.tracking import MlflowClient

        # the database's first use migrates its tables and says so at INFO level, between progress lines
        for quiet in ("mlflow.store.db.utils", "alembic"):
            logging.getLogger(quiet).setLevel(logging.WARNING)
        from mlflow.exceptions import MlflowException

        self._known: dict[str, str] = {}
        try:
            self.client = MlflowClient(tracking_uri=cfg.uri)
            self.experiment_id = self._experiment()
            key = str(folder.resolve() / sub) if sub else str(folder.resolve())
            self.run_id = self._find(key) if resume else None
            if self.run_id is None:
                tags = {FOLDER_TAG: key, **({PARENT_TAG: cfg.parent} if cfg.parent else {})}
                start = int(started * 1000) if started is not None else None
                self.run_id = self.client.create_run(
                    self.experiment_id, start_time=start, tags=tags, run_name=name
                ).info.run_id
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

    def params(self, params: dict[str, Any], metrics: dict[str, float] | None = None) -> None:
        from mlflow.entities import Param

        # MLflow refuses to change a logged parameter: a resumed run (a new budget) keeps the first values
        given = {_name(k): _param_text(v) for k, v in flatten(params).items()}
        new = {k: v for k, v in given.items() if k not in self._known}
        items = [Param(k, v) for k, v in new.items()]
        for i in range(0, len(items), 100):  # MLflow's limit per batch
            self.client.log_batch(self.run_id, params=items[i : i + 100])
        self._known.update(new)
        if metrics:
            self.metrics(metrics, 0)

    def metrics(self, values: dict[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(_name(k), float(v), now, step) for k, v in values.items()]
        if items:
            self.client.log_batch(self.run_id, metrics=items)

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        # MLflow's images over steps (its UI shows them on a step slider)
        self.client.log_image(self.run_id, _squeeze(image), key=tag, step=step)

    def artifact(self, path: Path) -> None:
        self.client.log_artifact(self.run_id, str(path))

    def text(self, tag: str, text: str) -> None:
        self.client.log_text(self.run_id, text, f"{tag}.txt")

    def children(self) -> set[str]:
        runs = self.client.search_runs(
            [self.experiment_id], filter_string=f"tags.`{PARENT_TAG}` = '{self.run_id}'", max_results=50000
        )
        return {r.info.run_name for r in runs}

    def close(self, status: str = "FINISHED", ended: float | None = None) -> None:
        end = int(ended * 1000) if ended is not None else None
        self.client.set_terminated(self.run_id, status=status, end_time=end)


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
        self.tracker.end(kind)


def status_of(error: BaseException | type[BaseException] | None) -> str:
    """The MLflow status a run ends with after `error`: FINISHED (none), KILLED (stopped by SIGINT or
    SIGTERM: the loop's `Interrupted`, or Ctrl-C outside the loop), FAILED (anything else).

    >>> status_of(None), status_of(KeyboardInterrupt), status_of(ValueError("x"))
    ('FINISHED', 'KILLED', 'FAILED')
    """
    if error is None:
        return "FINISHED"
    kind = error if isinstance(error, type) else type(error)
    return "KILLED" if issubclass(kind, KeyboardInterrupt | Interrupted) else "FAILED"


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


def _name(key: str) -> str:
    """A metric or parameter name MLflow accepts (letters, digits, _ - . space : /): NDCG@100 -> NDCG_100."""
    return re.sub(r"[^\w\-. :/]", "_", key)


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
