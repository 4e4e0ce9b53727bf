"""Checkpoints: a folder with the model (safetensors + JSON) and the trainer state (safetensors + JSON).

The folder is written to a temporary name and renamed into place, so `checkpoints/last` is always a
complete checkpoint even if the process is killed mid-write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganvae.atomic import atomic_dir, write_json
from ganvae.errors import CheckpointError
from ganvae.models.base import GenerativeModel
from ganvae.run_folder import WEIGHTS
from ganvae.training.state import optimizer_from_flat, optimizer_to_flat, rng_from_flat, rng_to_flat

TRAINER_TENSORS = "trainer.safetensors"
TRAINER_META = "trainer.json"


@dataclass
class TrainerState:
    step: int = 0
    elapsed_s: float = 0.0
    images_seen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "elapsed_s": self.elapsed_s, "images_seen": self.images_seen}


def save_checkpoint(
    folder: Path,
    model: GenerativeModel,
    optimizers: dict[str, torch.optim.Optimizer],
    state: TrainerState,
    extra: dict[str, Any],
    extra_tensors: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write model weights, optimizer and RNG states, step counters and `extra` (configs) atomically;
    `extra_tensors`: more trainer tensors (every process's RNG states in a data-parallel run)."""
    with atomic_dir(folder) as tmp:
        model.save(tmp)
        tensors = {**rng_to_flat(), **(extra_tensors or {})}
        opt_meta = {}
        for name, opt in optimizers.items():
            t, m = optimizer_to_flat(name, opt)
            tensors.update(t)
            opt_meta[name] = m
        save_file(tensors, str(tmp / TRAINER_TENSORS))
        write_json(tmp / TRAINER_META, {"state": state.as_dict(), "optimizers": opt_meta, **extra})
    return folder


def read_trainer_meta(folder: Path) -> dict[str, Any]:
    path = folder / TRAINER_META
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{path} is missing or damaged ({exc}); the checkpoint cannot be resumed"
        ) from None


def load_checkpoint(
    folder: Path, model: GenerativeModel, optimizers: dict[str, torch.optim.Optimizer]
) -> tuple[TrainerState, dict[str, Any], dict[str, torch.Tensor]]:
    """Restore weights, optimizer and RNG states into `model` / `optimizers`; return the trainer state,
    its JSON metadata and its tensors."""
    meta = read_trainer_meta(folder)
    try:
        weights = load_file(str(folder / WEIGHTS))
        tensors = load_file(str(folder / TRAINER_TENSORS))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"checkpoint {folder} is damaged ({exc}); it cannot be resumed") from None
    model.load_weights(weights, folder / WEIGHTS)  # a checkpoint from before a model's optional state
    for name, opt in optimizers.items():
        optimizer_from_flat(name, opt, tensors, meta["optimizers"][name])
    rng_from_flat(tensors)
    return TrainerState(**meta["state"]), meta, tensors
