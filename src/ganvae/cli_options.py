"""The options every comparison and task share (the fields of `ganvae.plan.RunPlan`), declared once.

`@plan_options(...)` adds them to a command's own options and hands the command one `plan` dict (the
RunPlan fields, parsed) plus `out` and `quiet`, so `compare` and the six tasks no longer repeat a dozen
option declarations each. `--resume` / `--overwrite` reach the command as `rerun`, for the library
function it calls. A command sets its own defaults (`models="vae,dcgan"`, `seeds=1`), help for
`--data`, and leaves out what does not apply to its data (`exclude=("image_size",)`).

>>> @plan_options(models="vae,dcgan", seeds=1)            # doctest: +SKIP
... def anomaly(normal_class: str = "0", *, plan, out, quiet, rerun): ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

# name -> (type, typer option, default): the order is the order of --help
SHARED: dict[str, tuple[Any, Any, Any]] = {
    "data": (str, lambda help: typer.Option("--data", "-d", help=help), "digits"),
    "models": (str, lambda _: typer.Option(help="comma-separated model names"), "vae,dcgan"),
    "seeds": (int, lambda help: typer.Option(help=help), 3),
    "epochs": (
        float | None,
        lambda help: typer.Option(help=f"budget per run: epochs (default: {help})"),
        None,
    ),
    "steps": (int | None, lambda _: typer.Option(help="budget per run: steps (default: see --epochs)"), None),
    "budget": (
        str | None,
        lambda _: typer.Option(help="budget per run: wall-clock, e.g. 5m (default: see --epochs)"),
        None,
    ),
    "batch_size": (int | None, lambda help: typer.Option("--batch-size", help=help), 64),
    "jobs": (
        int,
        lambda _: typer.Option(help="(model, seed) runs in parallel processes (results do not change)"),
        1,
    ),
    "image_size": (
        str | None,
        lambda _: typer.Option("--image-size", help="resize images to N or HxW (default: their own size)"),
        None,
    ),
    "set_": (
        list[str] | None,
        lambda _: typer.Option("--set", help="override a config value: key=value (repeatable)"),
        None,
    ),
    "precision": (str, lambda _: typer.Option(help="auto, 32-true, bf16-mixed, 16-mixed"), "auto"),
    "augment": (
        str,
        lambda _: typer.Option(help="training images for every model alike: none, or flip (left-right)"),
        "none",
    ),
    "logger": (
        str,
        lambda _: typer.Option(
            help="also log every run to: none, tensorboard (event files in each run folder) or mlflow"
        ),
        "none",
    ),
    "tracking_uri": (
        str | None,
        lambda _: typer.Option(
            "--tracking-uri",
            help="MLflow's tracking URI (default: MLFLOW_TRACKING_URI, else sqlite:///RUN/mlruns.db)",
        ),
        None,
    ),
    "out": (Path | None, lambda help: typer.Option("--out", "-o", help=help), None),
    "resume": (
        bool,
        lambda _: typer.Option(
            "--resume", help="continue the run in --out: finished runs are kept, unfinished ones resumed"
        ),
        False,
    ),
    "overwrite": (bool, lambda _: typer.Option("--overwrite", help="replace the run in --out"), False),
    "quiet": (bool, lambda _: typer.Option("--quiet", "-q", help="no progress bars"), False),
}
LAST = (
    "image_size",
    "augment",
    "set_",
    "precision",
    "logger",
    "tracking_uri",
    "out",
    "resume",
    "overwrite",
    "quiet",
)
# handed to the command itself, not parsed into the plan: where it writes, how it enters that folder
# (`experiment.rerun`), whether it shows progress
RUN = ("out", "quiet", "rerun")
DATA_HELP = "built-in name (digits, fashion-mnist, mnist) or a folder of images / .npz / IDX path"
# the budget when none of --epochs / --steps / --budget is given (`RunPlan.budget`, `small_data`)
IMAGE_BUDGET = (
    "300 steps on digits, else 5 epochs; on < 5,000 training images enough epochs for 100,000 images"
)


# `ganvae train`'s own declarations of the two tracking options (it takes no plan)
LoggerOpt = Annotated[str, SHARED["logger"][1](None)]
TrackingUriOpt = Annotated[str | None, SHARED["tracking_uri"][1](None)]


def seeds_help(default: int) -> str:
    """Why a command's seeds default to what they do (3 in compare, 1 in the costlier tasks)."""
    if default < 2:
        return (
            "seeds per model (1 by default to keep the task short; one seed cannot tell whether a "
            "difference is clear: use 3 for verdicts)"
        )
    return "seeds per model (at least 2 tell whether a difference between models is clear)"


def plan_options(
    *,
    exclude: tuple[str, ...] = (),
    data_help: str = DATA_HELP,
    out_help: str = "task folder (default runs/TASK-DATA)",
    batch_help: str | None = None,
    budget_help: str = IMAGE_BUDGET,
    **defaults: Any,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the shared options (but `exclude`) to a command with these `defaults`; the command receives
    `plan` (RunPlan fields), `out`, `quiet` and `rerun` ({"resume": .., "overwrite": ..}, for the library
    function) as keyword arguments. `budget_help` says the budget when none is given."""
    helps = {
        "data": data_help,
        "out": out_help,
        "batch_size": batch_help,
        "epochs": budget_help,
        "seeds": seeds_help(defaults.get("seeds", SHARED["seeds"][2])),
    }

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(fn, eval_str=True).parameters.values()
            if p.name not in ("plan", *RUN)
        ]
        shared = {
            name: inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=defaults.get(name, default),
                annotation=Annotated[kind, option(helps.get(name))],
            )
            for name, (kind, option, default) in SHARED.items()
            if name not in exclude
        }
        # --help lists the data, models, seeds and budget first, the command's own options, then the rest
        front = [p for name, p in shared.items() if name not in LAST]
        last = [p for name, p in shared.items() if name in LAST]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> None:
            given = {k: kwargs.pop(k) for k in list(kwargs) if k in SHARED}
            out, quiet = given.pop("out", None), given.pop("quiet", False)
            rerun = {"resume": given.pop("resume", False), "overwrite": given.pop("overwrite", False)}
            return fn(**kwargs, plan=plan_fields(**given), out=out, quiet=quiet, rerun=rerun)

        command.__signature__ = inspect.Signature(front + own + last)  # type: ignore[attr-defined]
        return command

    return decorate


def plan_fields(
    data: str,
    models: str,
    seeds: int,
    epochs: float | None = None,
    steps: int | None = None,
    budget: str | None = None,
    batch_size: int | None = 64,
    jobs: int = 1,
    image_size: str | None = None,
    set_: list[str] | None = None,
    precision: str = "auto",
    augment: str = "none",
    logger: str = "none",
    tracking_uri: str | None = None,
) -> dict[str, Any]:
    """The RunPlan fields from the shared options' values."""
    from ganvae.cli_common import _image_size
    from ganvae.config import parse_duration, split_overrides
    from ganvae.training.tracking import TrackingConfig

    tracking = TrackingConfig(logger, tracking_uri)
    tracking.validate()  # before any data is loaded

    return {
        "data": data,
        "models": tuple(m.strip() for m in models.split(",") if m.strip()),
        "seeds": seeds,
        "epochs": epochs,
        "steps": steps,
        "budget_s": parse_duration(budget) if budget is not None else None,
        "batch_size": batch_size,
        "jobs": jobs,
        "image_size": _image_size(image_size),
        "overrides": split_overrides(set_ or []),
        "precision": precision,
        "augment": augment,
        "tracking": tracking,
    }
