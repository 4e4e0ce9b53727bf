"""`train`: the high-level entry point behind `ganvae train` and each (model, seed) of `ganvae compare`.

It validates everything before touching the run folder (so bad input leaves nothing behind), seeds the
model's initialisation, and handles `--resume` by rebuilding the model from the checkpoint's own config.
"""

from __future__ import annotations

import dataclasses
import platform
from pathlib import Path
from typing import Any

import torch

from ganvae.config import apply_overrides
from ganvae.data.images import ImageData
from ganvae.errors import CheckpointError, ConfigError, DataError
from ganvae.folder_lock import clear_folder, locked, locking
from ganvae.models.base import (
    GenerativeModel,
    build_from_meta,
    build_model,
    config_keys,
    for_data,
    read_config,
)
from ganvae.run_folder import CHECKPOINT, CONFIG, LOCK, LOG, is_model_folder
from ganvae.training.checkpoint import TRAINER_META, read_trainer_meta
from ganvae.training.config import TrainConfig
from ganvae.training.engine import is_first_local_process
from ganvae.training.loop import Trainer
from ganvae.training.tracking import MLFLOW_DB, TENSORBOARD_DIR, TrackingConfig

BUDGET_KEYS = ("epochs", "steps", "budget_s")
# what a ganvae run folder holds at any stage (config.json comes last, with the weights): --overwrite
# empties only a folder with one of them
GANVAE_NAMES = (CONFIG, LOG, CHECKPOINT.parts[0], "samples", TENSORBOARD_DIR, MLFLOW_DB)


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "torch": torch.__version__}
    for pkg in ("ganvae", "lightning-fabric"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def split_set_overrides(model_name: str, pairs: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Route `--set key=value` pairs to the model config or the train config (`model.` / `train.` prefixes
    force one); an unknown key raises a ConfigError listing the valid ones."""
    model_keys = config_keys(model_name)
    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    model_over: dict[str, str] = {}
    train_over: dict[str, str] = {}
    for key, value in pairs.items():
        scope, _, bare = key.rpartition(".")
        if scope == "model" or (not scope and bare in model_keys):
            target, keys = model_over, model_keys
        elif scope == "train" or (not scope and bare in train_keys):
            target, keys = train_over, train_keys
        else:
            target, keys = {}, set()
        if bare not in keys:
            raise ConfigError(
                f"unknown --set key {key!r}; {model_name} keys: {', '.join(sorted(model_keys))}; "
                f"training keys: {', '.join(sorted(train_keys))}"
            )
        target[bare] = value
    return model_over, train_over


@locking("out")  # the folder is this process's until train returns (`ganvae.folder_lock`)
def train(
    model_name: str,
    data: ImageData,
    out: str | Path,
    train_config: TrainConfig,
    overrides: dict[str, Any] | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    data_spec: dict[str, Any] | None = None,
    budget_given: bool = True,
    progress: bool = True,
    evaluate=None,
    damaged: str = "",
    tracking: TrackingConfig | None = None,
) -> tuple[GenerativeModel, Trainer]:
    """Train `model_name` on `data` into run folder `out`; return the trained model and its trainer.
    `damaged`: what to do when the checkpoint being resumed cannot be read (default: the `ganvae train`
    command that starts the run again); `tracking`: TensorBoard or MLflow as well (`training.tracking`)."""
    out = Path(out)
    if resume and overwrite:
        raise ConfigError("--resume continues the run in --out and --overwrite replaces it; give one of them")
    train_config.validate()
    spec = {
        "shape": list(data.shape),
        "num_classes": data.num_classes,
        "fingerprint": data.fingerprint(),
        **(data_spec or {}),
    }
    damaged = damaged or "start it again with --overwrite in place of --resume, or give another --out"
    if resume:
        try:
            model, train_config = _from_checkpoint(
                out, model_name, data, train_config, overrides, budget_given
            )
        except CheckpointError as exc:
            raise CheckpointError(f"{exc}; {damaged}") from None
    else:
        if out.exists() and any(p.name != LOCK for p in out.iterdir()):
            if not overwrite:
                raise ConfigError(
                    f"{out} already holds a run; pass --resume to continue it, --overwrite to start it "
                    "again, or another --out"
                )
            if not any((out / name).exists() for name in GANVAE_NAMES):  # never delete a user's own files
                raise ConfigError(
                    f"{out} holds files that ganvae did not write; --overwrite replaces only a ganvae run, "
                    "give another --out"
                )
        torch.manual_seed(train_config.seed)  # the seed fixes the initial weights as well as the data order
        # `context`: what a model of non-image data needs from it (a table's fitted transformer)
        context = getattr(data, "context", None)
        # the split's size settles data-dependent "auto" settings once; config.json saves the result
        n_train = len(data.x_train)
        model = build_model(
            model_name, data.shape, data.num_classes, overrides, data.class_names, context, n_train
        )
        if overwrite and out.exists() and is_first_local_process():
            # the other processes of a multi-process launch leave it to the first (no racing deletes)
            clear_folder(out)
    meta = {"data": spec, "versions": versions()}
    trainer = Trainer(train_config, out, progress=progress, evaluate=evaluate, tracking=tracking)
    try:
        trainer.fit(model, data, resume=resume, meta=meta)
    except CheckpointError as exc:
        if not resume:
            raise
        raise CheckpointError(f"{exc}; {damaged}") from None
    return model, trainer


def _from_checkpoint(
    out: Path, model_name: str, data: ImageData, cfg: TrainConfig, overrides, budget_given: bool
):
    folder = out / CHECKPOINT
    if not (folder / TRAINER_META).is_file():
        if not out.exists() or not any(p.name != LOCK for p in out.iterdir()):
            raise ConfigError(f"nothing to resume in {out}; run without --resume to start training")
        raise CheckpointError(f"{out} holds no checkpoint ({folder / TRAINER_META})")
    model_meta = read_config(folder)
    if model_meta["model"] != model_name:
        raise ConfigError(
            f"{out} holds a {model_meta['model']} run, not {model_name}; resume with the same model"
        )
    if overrides:
        saved = build_from_meta(model_meta).config
        asked = for_data(apply_overrides(saved, overrides, where=f"{model_name} config"), len(data.x_train))
        if asked != saved:
            raise ConfigError(
                "--set cannot change the model of a run being resumed; start a new run to change it"
            )
    if list(model_meta["shape"]) != list(data.shape):
        raise DataError(
            f"the data's image shape {data.shape} differs from the run's {tuple(model_meta['shape'])}"
        )
    saved = apply_overrides(
        TrainConfig(), read_trainer_meta(folder).get("train", {}), where="saved train config"
    )
    if budget_given:  # a resumed run may be given a new budget; everything else stays as it was
        saved = dataclasses.replace(saved, **{k: getattr(cfg, k) for k in BUDGET_KEYS})
    # how many processes train is about this invocation, not the run (resume 2-GPU runs on 4 GPUs)
    saved = dataclasses.replace(
        saved,
        precision=cfg.precision if cfg.precision != "auto" else saved.precision,
        devices=cfg.devices,
        num_nodes=cfg.num_nodes,
    )
    return build_from_meta(model_meta), saved


def train_or_reuse(
    model_name: str,
    data: ImageData,
    folder: str | Path,
    train_config: TrainConfig,
    overrides: dict[str, Any] | None = None,
    *,
    data_spec: dict[str, Any] | None = None,
    progress: bool = True,
    evaluate=None,
    tracking: TrackingConfig | None = None,
) -> GenerativeModel:
    """The model of run folder `folder`: loaded when finished, resumed from its checkpoint when interrupted,
    trained from scratch otherwise. What `compare` and the tasks use so that a re-run repeats no work."""
    folder = Path(folder)
    if is_model_folder(folder):  # a finished run is only read: tasks beside a comparison share it unlocked
        return _reuse(model_name, data, folder)
    with locked(folder):  # the look at the checkpoint and the training it decides, as one
        if is_model_folder(folder):  # finished by another process between the look above and the lock
            return _reuse(model_name, data, folder)
        resume = (folder / CHECKPOINT / TRAINER_META).is_file()
        again = f"delete {folder} and run the same command again (that run alone starts over), or --overwrite"
        model, _ = train(
            model_name,
            data,
            folder,
            train_config,
            overrides,
            resume=resume,
            overwrite=not resume,
            data_spec=data_spec,
            budget_given=True,
            progress=progress,
            evaluate=evaluate,
            damaged=again,
            tracking=tracking,
        )
    return model


def _reuse(model_name: str, data: ImageData, folder: Path) -> GenerativeModel:
    meta = read_config(folder)
    trained_on = meta.get("data", {}).get("fingerprint")
    if meta["model"] != model_name or (trained_on and trained_on != data.fingerprint()):
        raise ConfigError(
            f"{folder} holds a {meta['model']} run on other data; use another --out or delete it"
        )
    return GenerativeModel.load(folder)
