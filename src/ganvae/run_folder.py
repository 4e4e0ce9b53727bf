"""The run-folder layout: the one place that knows its file names, and the one model-folder resolver.

What every command writes (DESIGN.md, "Run directory")::

    RUN/                          a `ganvae train` run, a comparison or a task folder
      config.json  metrics.json  log.jsonl  report.html
      models/<model>-<tag>seed<k>/{config.json, model.safetensors, log.jsonl, eval.json}
      checkpoints/last/           the newest checkpoint of an unfinished run (a model folder too)
      figures/                    PNGs the report embeds
      study.db                    the hyperparameter search's trials (`compare --search`), SQLite
      tensorboard/  mlruns.db  mlartifacts/   with --logger (each model folder has its tensorboard/)
      tasks/<task>/               a task run beside a comparison (it reuses the comparison's models)
      .lock                       while a process works in the folder: its pid (`ganvae.folder_lock`)

A model folder is any folder holding both `model.safetensors` and `config.json`. `<tag>` tells apart
models a task trains on different data (`class3-` in anomaly, `k10-` in augment); it ends with "-".

This module sits at the bottom of the package (it imports nothing but `errors`), beside `atomic`: the
models and the training loop write these files and sit below the experiment code, so the one owner of the
names must be importable by all of them, and by the report, which loads no torch.

>>> RunFolder("runs/fm").model("vae", 1).as_posix()
'runs/fm/models/vae-seed1'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ganvae.errors import CheckpointError, ConfigError

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
LOG = "log.jsonl"  # the training loop's losses and evaluations, one JSON object a line
CHECKPOINT = Path("checkpoints") / "last"
EVAL = "eval.json"  # a comparison's evaluation of one model, beside its weights
METRICS = "metrics.json"
REPORT = "report.html"
MODELS = "models"
FIGURES = "figures"
TASKS = "tasks"
RECORDS = "records"  # a task's per-job records (`experiment.runner`), kept to resume
SYNTHETIC = "synthetic"  # a table comparison's rows, one CSV per (model, seed)
STUDY = "study.db"  # a comparison's hyperparameter search (`ganvae compare --search`), SQLite
LOCK = ".lock"  # held by the process working in the folder (`folder_lock`); gone when no process is
TENSORBOARD = "tensorboard"  # `--logger tensorboard`: each run folder's event files (`training.tracking`)
MLRUNS = "mlruns.db"  # `--logger mlflow`: the top folder's default tracking database (SQLite)
MLARTIFACTS = "mlartifacts"  # and its artifacts

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "EVAL",
    "FIGURES",
    "LOCK",
    "LOG",
    "METRICS",
    "MLARTIFACTS",
    "MLRUNS",
    "MODELS",
    "REPORT",
    "STUDY",
    "TASKS",
    "TENSORBOARD",
    "WEIGHTS",
    "RunFolder",
    "is_model_folder",
    "model_folder_name",
    "resolve_model_folder",
]

_SEED = re.compile(r"^(?P<tag>.*?)seed(?P<seed>\d+)$")


def model_folder_name(model: str, seed: int, tag: str = "") -> str:
    """`<model>-<tag>seed<k>`, the name of one trained run inside `models/`."""
    return f"{model}-{tag}seed{seed}"


def is_model_folder(path: str | Path) -> bool:
    """Whether `path` holds a saved model (weights and config)."""
    return (Path(path) / WEIGHTS).is_file() and (Path(path) / CONFIG).is_file()


@dataclass(frozen=True)
class RunFolder:
    """Paths inside one run folder (nothing is created or read here)."""

    root: Path

    def __init__(self, root: str | Path) -> None:
        object.__setattr__(self, "root", Path(root))

    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def metrics(self) -> Path:
        return self.root / METRICS

    @property
    def log(self) -> Path:
        return self.root / LOG

    @property
    def report(self) -> Path:
        return self.root / REPORT

    @property
    def figures(self) -> Path:
        return self.root / FIGURES

    @property
    def models(self) -> Path:
        return self.root / MODELS

    @property
    def study(self) -> Path:
        return self.root / STUDY

    @property
    def checkpoint(self) -> Path:
        return self.root / CHECKPOINT

    def model(self, name: str, seed: int, tag: str = "") -> Path:
        """The folder of model `name` trained with `seed` (and `tag`, see the module docstring)."""
        return self.models / model_folder_name(name, seed, tag)

    def record(self, job_name: str) -> Path:
        """Where a task keeps the records of one runner job."""
        return self.root / RECORDS / f"{job_name}.json"

    def synthetic(self, name: str, seed: int) -> Path:
        """The rows a table model drew (seed `seed`) in a table comparison."""
        return self.root / SYNTHETIC / f"{model_folder_name(name, seed)}.csv"

    def model_folders(self) -> list[Path]:
        """Every saved model under models/, sorted by folder name."""
        if not self.models.is_dir():
            return []
        return [p for p in sorted(self.models.iterdir()) if is_model_folder(p)]


@dataclass(frozen=True)
class _Saved:
    """A saved model under models/. Its model name comes from its config.json: a folder name alone cannot
    be split reliably, since model names hold hyphens (tabular-vae-class0-seed1)."""

    folder: Path
    model: str
    tag: str
    seed: int


def _saved(folder: Path) -> _Saved | None:
    try:
        name = json.loads((folder / CONFIG).read_text(encoding="utf-8"))["model"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged folder is not offered; loading it directly still explains what is wrong
    rest = folder.name.removeprefix(f"{name}-")
    m = _SEED.match(rest)
    return _Saved(folder, name, m["tag"] if m else rest, int(m["seed"]) if m else 0)


def resolve_model_folder(
    path: str | Path,
    model: str | None = None,
    *,
    default: str | None = None,
    written_by: str = "",
    usable: Callable[[Path], bool] | None = None,
    purpose: str = "",
) -> Path:
    """The model folder that `path` means. The one rule, for every command that applies a trained model:

    - a model folder (model.safetensors + config.json) is itself; `model`, if given, must name its model;
    - a `ganvae train` run stopped before its end: its last checkpoint;
    - a comparison or task folder: the model under models/ (a task beside a comparison, RUN/tasks/NAME,
      also offers the comparison's models) named `model`, else the only model there, else `default`;
      of that model, seed 0 (the lowest seed). `model` may also name a folder there (`vae-seed2`).
      Without `model`, only the models `usable` accepts are candidates (the apply commands pass "can serve
      me", so that `ganvae generate` on a folder of vae and cgan picks cgan).

    Anything else is a CheckpointError (nothing trained there) or a ConfigError (several models and none
    chosen, or none usable for `purpose`) that names the models the folder holds. `written_by` names the
    command whose folders fit (e.g. "`ganvae task recommend`") for that message.
    """
    path = Path(path)
    where = written_by or "`ganvae train`, `ganvae compare` or `ganvae task`"
    if not path.exists():
        raise CheckpointError(f"{path} does not exist; give a folder written by {where}")
    if is_model_folder(path):
        saved = _saved(path)
        if model is not None and saved is not None and model not in (saved.model, path.name):
            raise ConfigError(f"{path} holds {saved.model}, not {model}; drop --model or give its folder")
        return path
    run = RunFolder(path)
    if is_model_folder(run.checkpoint) and not run.models.is_dir():
        return run.checkpoint
    found = [s for s in map(_saved, _candidates(run)) if s is not None]
    names = sorted({s.model for s in found})
    if not found:
        raise CheckpointError(f"{path} holds no trained model; give a folder written by {where}")
    if model is None and usable is not None:
        found = [s for s in found if usable(s.folder)]
        if not found:
            raise ConfigError(
                f"{path} holds no model that {purpose or 'this command'} can use (it holds "
                f"{', '.join(names)}); give a folder written by {where}"
            )
        names = sorted({s.model for s in found})
    by_folder = [s for s in found if model is not None and s.folder.name == model]
    if by_folder:
        return by_folder[0].folder
    name = model or (names[0] if len(names) == 1 else default if default in names else None)
    if name is None:
        raise ConfigError(
            f"{path} holds several models ({', '.join(names)}); pick one with --model NAME "
            f"or give its folder, e.g. {found[0].folder}"
        )
    mine = sorted((s for s in found if s.model == name), key=lambda s: (s.seed, s.folder.name))
    if not mine:
        raise CheckpointError(f"{path} holds no trained {name}; it holds {', '.join(names)}")
    tags = sorted({s.tag for s in mine})
    if len(tags) > 1:  # trained on different data (one per class, per K): no one of them is "the" model
        raise ConfigError(
            f"{path} holds several {name} models ({', '.join(s.folder.name for s in mine[:6])}"
            f"{', ...' if len(mine) > 6 else ''}); give one of their folders"
        )
    return mine[0].folder


def _candidates(run: RunFolder) -> list[Path]:
    own = run.model_folders()
    if run.root.parent.name == TASKS:  # RUN/tasks/NAME trains no model the comparison already has
        return own + RunFolder(run.root.parent.parent).model_folders()
    return own
