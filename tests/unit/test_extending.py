"""docs/extending.md's recipes, followed with toys: a model, a metric, a dataset kind and a task. Each
test fails when its seam breaks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganvae.data.base import Dataset, describe
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics import meta
from ganvae.plan import RunPlan
from ganvae.registry import DATASETS, MODELS, TASKS
from ganvae.report.sections import Section
from ganvae.tasks.base import TaskFolder


def test_a_model_preset_joins_the_registry_and_trains_like_the_others(tiny_digits):
    from ganvae.models.base import build_model
    from ganvae.models.vae import VAE, VAEConfig
    from ganvae.training.config import TrainConfig
    from ganvae.training.loop import Trainer

    MODELS.register("toy-vae", VAE, "a toy preset", preset=VAEConfig(latent_dim=4, width=4))
    try:
        model = build_model("toy-vae", tiny_digits.shape)
        Trainer(TrainConfig(steps=2, batch_size=16)).fit(model, tiny_digits)
        assert model.family == "vae" and model.sample(3).shape == (3, *tiny_digits.shape)
    finally:
        MODELS._entries.pop("toy-vae")


def test_a_declared_metric_is_judged_by_its_metadata():
    meta.declare("toy_ratio", "toy ratio", ideal=1.0, scale="log")
    try:
        summary = {
            "a": {"toy_ratio": estimate([1.9, 2.0, 2.1])},
            "b": {"toy_ratio": estimate([0.9, 1.0, 1.1])},
        }
        row = use_case_row("toy", "toy_ratio", summary, {"a": "gan", "b": "vae"})
        assert row["winner"] == "b" and row["clear"]  # closer to the ideal 1 wins, not the larger
    finally:
        meta.METRICS.pop("toy_ratio")


@dataclass
class Points:
    """A toy dataset kind: points on a line."""

    x_train: torch.Tensor
    x_test: torch.Tensor
    name: str = "points"
    kind: str = "points"
    unit: str = "points"
    split: str = "given"
    class_names: list[str] | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def fingerprint(self) -> str:
        return "toy"

    def describe(self) -> dict[str, Any]:
        return describe(self, len(self.x_test))


def test_a_dataset_kind_implements_the_protocol_and_is_listed(monkeypatch):
    from ganvae.data import catalog

    monkeypatch.setattr(catalog, "KINDS", (*catalog.KINDS, "points"))
    data = Points(torch.rand(10, 2), torch.rand(4, 2))
    assert isinstance(data, Dataset)
    catalog._register("toy-points", "points", lambda: data, "toy points", where=lambda: "memory", how="-")
    try:
        assert catalog.names_of("points") == ["toy-points"]
        assert DATASETS.get("toy-points").factory().describe()["kind"] == "points"
    finally:
        DATASETS._entries.pop("toy-points")


@dataclass
class ToyConfig(RunPlan):
    data: str = "points"
    models: tuple[str, ...] = ("vae", "dcgan")
    seeds: int = 2


@dataclass
class ToyExperiment:
    """A task's experiment without training: each job 'measures' its model's seed."""

    folder: TaskFolder

    def context(self):
        return {"vae": 1.0, "dcgan": 3.0}

    def record_path(self, job: Job) -> Path:
        return self.folder.record_path(job)

    def run(self, ctx, job: Job) -> list[dict[str, Any]]:
        family = "vae" if job.model == "vae" else "gan"
        return [
            {"model": job.model, "family": family, "seed": job.seed, "error": ctx[job.model] + job.seed / 10}
        ]


def test_a_task_runs_its_jobs_names_a_winner_and_writes_its_page(tmp_path):
    cfg = ToyConfig()
    folder = TaskFolder(tmp_path / "toy", "toy", cfg)
    folder.start()
    TASKS.register("toy", lambda *a, **k: None, "a toy task", config=ToyConfig)
    try:
        jobs = [Job(m, s) for m in cfg.models for s in range(cfg.seeds)]
        runs = run_jobs(ToyExperiment(folder), jobs)
        table = {
            m: {
                "family": runs[i * 2]["family"],
                "error": estimate([r["error"] for r in runs if r["model"] == m]),
            }
            for i, m in enumerate(cfg.models)
        }
        metric = meta.Metric("error", "toy error", better="lower")
        row = use_case_row("toy use", metric, table)
        data = Points(torch.rand(10, 2), torch.rand(4, 2))
        m = folder.finish(data, {"table": table}, Section("Toy"), verdicts=[row])
        assert m["verdicts"][0]["winner"] == "vae" and m["verdicts"][0]["clear"]
        assert (tmp_path / "toy" / "report.html").is_file()
        assert sorted(p.name for p in (tmp_path / "toy" / "records").iterdir()) == [
            "dcgan-seed0.json",
            "dcgan-seed1.json",
            "vae-seed0.json",
            "vae-seed1.json",
        ]
    finally:
        TASKS._entries.pop("toy")
