"""docs/extending.md's recipes, followed with toys: a model, a metric, a dataset kind and a task. Each
test fails when its seam breaks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch

from ganvae.data.base import DataKind, Dataset, describe
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics import meta
from ganvae.models.base import GenerativeModel
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
    y_train: torch.Tensor | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def fingerprint(self) -> str:
        return "toy"

    def describe(self) -> dict[str, Any]:
        return describe(self, len(self.x_test))


# Two toy kinds: vectors ("points"), and pictures that are not the images kind ("frames": C x H x W)
TOY_KINDS = {
    "points": DataKind(
        "points",
        unit="points",
        noun="point set",
        modelled="points on a line",
        used_by="`toy fit --data {name}`",
        sample_command="toy draw",
        use_models="give points",
        plan_advice="use it with `toy fit`",
        suffixes=(".pts",),
    ),
    "frames": DataKind(
        "frames",
        unit="frames",
        noun="frame set",
        modelled="video frames",
        used_by="`toy film --data {name}`",
        row_dims=3,
        pictures=True,
        sample_command="toy film",
        use_models="give frames",
        plan_advice="use it with `toy film`",
        suffixes=(".frames",),
    ),
}
TOY_SHAPES = {"points": (2,), "frames": (1, 4, 4)}


@dataclass
class ToyModelConfig:
    latent_dim: int = 1
    spread: float = 0.1  # sampling only

    def validate(self) -> None:
        pass


def toy_model_class(kind: str) -> type[GenerativeModel]:
    """A model of `kind`: a learnt mean, sampled with Gaussian spread (one level below GenerativeModel)."""

    def __init__(self, config, shape, num_classes=0):
        GenerativeModel.__init__(self, config, shape, 0)
        self.mean = torch.nn.Parameter(torch.zeros(shape))

    def train_step(self, x, y, opt, step):
        loss = ((x - self.mean) ** 2).mean()
        opt.step("m", loss)
        return {"loss": loss.detach()}

    def sample(self, n, *, labels=None, generator=None):
        noise = torch.randn((n, *self.shape), generator=generator)
        return (self.mean.detach() + self.config.spread * noise).clamp(0, 1)

    return type(
        f"Toy{kind.title()}",
        (GenerativeModel,),
        {
            "capabilities": frozenset({"sample"}),
            "config_class": ToyModelConfig,
            "family": "vae",
            "data_kind": kind,
            "sampling_settings": frozenset({"spread"}),
            "__init__": __init__,
            "configure_optimizers": lambda self: {"m": self.adam(self.parameters(), lr=0.1)},
            "train_step": train_step,
            "sample": sample,
        },
    )


@pytest.fixture(params=sorted(TOY_KINDS))
def toy_kind(request):
    """A registered toy kind with a built-in dataset and a registered model of it (all removed after)."""
    from ganvae.data import catalog

    kind = TOY_KINDS[request.param]
    catalog.register_kind(kind)
    shape = TOY_SHAPES[kind.name]
    data = Points(torch.rand(24, *shape), torch.rand(8, *shape), name=f"toy-{kind.name}", kind=kind.name)
    data.unit = kind.unit
    catalog._register(f"toy-{kind.name}", kind.name, lambda: data, "toy", where=lambda: "memory", how="-")
    MODELS.register(f"toy-{kind.name}", toy_model_class(kind.name), "toy", preset=ToyModelConfig())
    yield kind, data
    DATASETS._entries.pop(f"toy-{kind.name}")
    MODELS._entries.pop(f"toy-{kind.name}")
    catalog.KINDS.pop(kind.name)


def test_a_dataset_kind_implements_the_protocol_and_is_listed(toy_kind):
    from ganvae.data import catalog

    kind, data = toy_kind
    assert isinstance(data, Dataset)
    assert catalog.names_of(kind.name) == [f"toy-{kind.name}"]
    assert DATASETS.get(f"toy-{kind.name}").factory().describe()["kind"] == kind.name
    # --data names it by a built-in's name or by the kind's file suffix; an image loader points elsewhere
    assert catalog.kind_of_spec(f"toy-{kind.name}") is kind
    assert catalog.kind_of_spec(f"my{kind.suffixes[0]}") is kind
    message = catalog.wrong_kind_message(f"toy-{kind.name}", "images")
    assert message == (
        f"toy-{kind.name} is a built-in {kind.noun}, not an image dataset; "
        f"use it with {kind.used_by.format(name=f'toy-{kind.name}')}"
    )


def test_a_dataset_kind_passes_through_models_training_plans_and_pages(toy_kind, tmp_path, capsys):
    """build_model's shape check, the loop's unit and sample grids, a plan's model check, `ganvae info`,
    the apply commands' refusal and the task page's header ask the kind: none names it."""
    from ganvae.apply.capabilities import require
    from ganvae.cli import main
    from ganvae.errors import ConfigError
    from ganvae.models.base import build_model
    from ganvae.training.config import TrainConfig
    from ganvae.training.loop import Trainer

    kind, data = toy_kind
    name = f"toy-{kind.name}"
    model = build_model(name, data.shape)
    assert model.kind() is kind and model.unit == kind.unit
    wrong = (3, 4, 4) if not kind.pictures else (2,)
    with pytest.raises(ConfigError, match=re.escape(f"{name} is a model of {kind.name}, which")) as err:
        build_model(name, wrong)
    assert str(err.value).endswith(f"; {kind.use_models}")

    run = tmp_path / "run"
    Trainer(TrainConfig(steps=2, batch_size=8, sample_every=1), run, progress=False).fit(model, data)
    grids = sorted(p.name for p in (run / "samples").glob("*.png")) if (run / "samples").is_dir() else []
    assert grids == (["step-0000001.png", "step-0000002.png"] if kind.pictures else [])

    with pytest.raises(ConfigError) as err:
        RunPlan(models=(name,)).validate()
    assert str(err.value).startswith(f"{name} is a model of {kind.name}, not images; {kind.plan_advice} ")
    assert "(models of images: vae, " in str(err.value)  # what the plan does take

    @dataclass
    class KindPlan(RunPlan):
        data_kind: ClassVar[str] = kind.name

    KindPlan(models=(name,), steps=2).validate()  # a plan of the kind takes its models

    with pytest.raises(SystemExit) as code:
        main(["info", str(run)])
    out = capsys.readouterr().out
    assert code.value.code == 0
    assert kind.shape_text(data.shape) in out and f"({kind.sample_command} --set): spread" in out
    assert ("1x4x4 frames" in out) if kind.pictures else ("points of 2 values" in out)

    with pytest.raises(ConfigError, match=re.escape(f"it models {kind.modelled}, not images;")):
        require(model, "sample")

    folder = TaskFolder(tmp_path / "task", "toy", ToyConfig())
    folder.start()
    folder.finish(data, {}, Section("Toy"))
    header = (tmp_path / "task" / "report.html").read_text()
    assert f"24 training and 8 test {kind.unit}" in header
    assert (f"({'×'.join(map(str, data.shape))})" in header) == kind.pictures


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
