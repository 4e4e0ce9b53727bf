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
