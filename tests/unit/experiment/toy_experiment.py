"""A toy experiment for the runner's tests (importable by spawned worker processes)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ganvae.experiment.runner import Job


@dataclass
class Squares:
    """Each job's record: its seed squared, the model name, and the process that ran it."""

    out: Path | None = None

    def context(self):
        return {"offset": 100}

    def record_path(self, job: Job) -> Path | None:
        return self.out / f"{job.name}.json" if self.out else None

    def run(self, ctx, job: Job) -> list[dict]:
        return [{"model": job.model, "value": ctx["offset"] + job.seed**2, "pid": os.getpid()}]
