"""A toy experiment for the runner's tests (importable by spawned worker processes)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ganvae.experiment.runner import Job


class Folder:
    """A plain object like a task's folder: its repr holds its id, different in every unpickled copy."""

    def __init__(self, out: Path | None = None):
        self.out = out


@dataclass
class Squares:
    """Each job's record: its seed squared, the model name, the process that ran it and the id of the
    context it used."""

    out: Path | None = None
    folder: Folder = field(default_factory=Folder)

    def context(self):
        return {"offset": 100, "id": uuid.uuid4().hex}

    def record_path(self, job: Job) -> Path | None:
        return self.out / f"{job.name}.json" if self.out else None

    def run(self, ctx, job: Job) -> list[dict]:
        return [
            {"model": job.model, "value": ctx["offset"] + job.seed**2, "pid": os.getpid(), "ctx": ctx["id"]}
        ]


@dataclass
class Progressing(Squares):
    """Squares that shows training progress the way the training loop does; its records say whether the
    process drew bars or wrote lines."""

    def run(self, ctx, job: Job) -> list[dict]:
        from types import SimpleNamespace

        from ganvae.training.progress import TrainProgress

        with TrainProgress(True, 2, None, job.model, seed=job.seed) as progress:
            state = SimpleNamespace(step=2, elapsed_s=0.1, images_seen=20)
            progress.update(state, {"step": 2, "images_per_s": 200.0, "loss": 1.5})
        return [{**super().run(ctx, job)[0], "lines": progress.lines}]
