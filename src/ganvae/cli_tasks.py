"""`ganvae task NAME` (the use cases, each writing a task folder) and the commands that apply one trained
model to new images: `ganvae score`. Thin like `cli.py`: parse, call the library, print."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ganvae.cli_common import (
    DataOpt,
    ImageSizeOpt,
    SetOpt,
    _command,
    _echo,
    _image_size,
    _resolve_model_dir,
)

task_app = typer.Typer(
    help="Use cases run end to end with both families on the same data; each writes a task folder.",
    no_args_is_help=True,
)

ModelsOpt = Annotated[str, typer.Option(help="comma-separated model names")]
SeedsOpt = Annotated[int, typer.Option(help="seeds per model")]
EpochsOpt = Annotated[float | None, typer.Option(help="budget per run: epochs")]
StepsOpt = Annotated[int | None, typer.Option(help="budget per run: steps")]
BudgetOpt = Annotated[str | None, typer.Option(help="budget per run: wall-clock, e.g. 2m")]
BatchOpt = Annotated[int, typer.Option("--batch-size")]
PrecisionOpt = Annotated[str, typer.Option(help="auto, 32-true, bf16-mixed, 16-mixed")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="task folder (default runs/TASK-DATA)")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars")]


def _plan(
    data: str,
    models: str,
    seeds: int,
    epochs: float | None,
    steps: int | None,
    budget: str | None,
    batch_size: int,
    image_size: str | None,
    set_: list[str] | None,
    precision: str,
) -> dict[str, Any]:
    """The RunPlan fields every task shares, from the shared options."""
    from ganvae.config import parse_duration, split_overrides

    return {
        "data": data,
        "models": tuple(m.strip() for m in models.split(",") if m.strip()),
        "seeds": seeds,
        "epochs": epochs,
        "steps": steps,
        "budget_s": parse_duration(budget) if budget is not None else None,
        "batch_size": batch_size,
        "image_size": _image_size(image_size),
        "overrides": split_overrides(set_ or []),
        "precision": precision,
    }


def _command_line() -> str:
    return "ganvae " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _default_out(task: str, data: str) -> Path:
    return Path("runs") / f"{task}-{Path(data).name}"


@task_app.command()
@_command
def anomaly(
    normal_class: Annotated[
        str | None, typer.Option("--normal-class", help="the class trained on (name or index)")
    ] = None,
    all_classes: Annotated[
        bool, typer.Option("--all-classes", help="repeat for every class and report the mean")
    ] = False,
    score_images: Annotated[
        int, typer.Option("--score-images", help="test images scored (random subset); 0 = all")
    ] = 1000,
    data: DataOpt = "digits",
    models: ModelsOpt = "vae,dcgan",
    seeds: SeedsOpt = 1,
    epochs: EpochsOpt = None,
    steps: StepsOpt = None,
    budget: BudgetOpt = None,
    batch_size: BatchOpt = 64,
    image_size: ImageSizeOpt = None,
    set_: SetOpt = None,
    precision: PrecisionOpt = "auto",
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """One-class anomaly detection: train on one class, score the test split (AUROC, AUPRC, ROC curves)."""
    from ganvae.tasks.anomaly import AnomalyConfig, run_anomaly

    plan = _plan(data, models, seeds, epochs, steps, budget, batch_size, image_size, set_, precision)
    cfg = AnomalyConfig(**plan, normal_class=normal_class, all_classes=all_classes, score_images=score_images)
    folder = out or _default_out("anomaly", data)
    m = run_anomaly(cfg, folder, progress=not quiet, command=_command_line())
    for key, row in m["results"]["scores"].items():
        _echo(f"{key}: AUROC {row['auroc']['mean']:.3f}, AUPRC {row['auprc']['mean']:.3f}")
    _echo(f"report: {folder / 'report.html'}")


@_command
def score(
    run_dir: Annotated[Path, typer.Argument(help="a model folder from `ganvae task anomaly` (models/...)")],
    data: Annotated[str, typer.Option("--data", "-d", help="an image, a folder of images, or a dataset")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write")] = Path("scores.csv"),
    method: Annotated[str | None, typer.Option(help="anomaly score (default: the model's first)")] = None,
    fpr: Annotated[
        float, typer.Option(help="false-positive rate on held-out normal images that sets the threshold")
    ] = 0.05,
    threshold: Annotated[
        float | None, typer.Option(help="flag scores above this value instead of using --fpr")
    ] = None,
) -> None:
    """Score new images with a fitted model; write a CSV of (path, score, flag)."""
    from ganvae.tasks.scoring import score_images

    result = score_images(_resolve_model_dir(run_dir), data, out, method=method, fpr=fpr, threshold=threshold)
    _echo(
        f"scored {result['n']} images with {result['method']}: {result['flagged']} flagged as anomalous "
        f"(threshold {result['threshold']:.4g}{result['how']}); wrote {out}"
    )
