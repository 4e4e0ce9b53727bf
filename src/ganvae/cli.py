"""The `ganvae` command line: thin on purpose. It parses arguments, calls the library, prints results,
and turns a `GanvaeError` into one line on stderr and exit code 2 (no traceback). Heavy imports (torch)
happen inside the commands so that `ganvae --help` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ganvae.cli_common import (
    DataOpt,
    ImageSizeOpt,
    ModelOpt,
    SetOpt,
    _command,
    _echo,
    _load_data,
)
from ganvae.cli_config import config_options
from ganvae.cli_help import HelpGroup, print_version
from ganvae.cli_options import IMAGE_BUDGET, LoggerOpt, TrackingUriOpt, plan_options
from ganvae.cli_serve import export, serve
from ganvae.cli_tasks import (
    OTHER_COMPARISONS,
    CategoricalOpt,
    DropOpt,
    MetadataOpt,
    RowsOpt,
    TargetOpt,
    generate,
    morph,
    recommend_items,
    score,
    synthesize_rows,
    task_app,
    upscale,
)
from ganvae.cli_translate import translate_image  # also adds `ganvae task translate`

COMPARE_DATA = (
    "images: digits, fashion-mnist, mnist, a folder of images, .npz or IDX; tables: wine, breast-cancer, "
    "diamonds, credit-data or a .csv / .parquet file (`ganvae list` shows every dataset and its kind)"
)

app = typer.Typer(
    name="ganvae",
    help="Train GANs and VAEs side by side, measure the trade-offs, and use the one that wins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=HelpGroup,
)
data_app = typer.Typer(
    help="Built-in datasets: download them on machines with internet.", no_args_is_help=True, cls=HelpGroup
)
app.add_typer(data_app, name="data")
app.add_typer(task_app, name="task")


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="print ganvae's version and exit", is_eager=True, callback=print_version
        ),
    ] = False,
) -> None:
    """Train GANs and VAEs side by side, measure the trade-offs, and use the one that wins."""


@app.command()
@config_options
@_command
def train(
    model: Annotated[str, typer.Argument(help="model name (see `ganvae list`)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="run folder to write")],
    data: Annotated[
        str,
        typer.Option(
            "--data",
            "-d",
            help="image data: a built-in name (digits, fashion-mnist, mnist), a folder of images, .npz or "
            "IDX path (tables and interactions train in `ganvae compare` / `ganvae task`: see `ganvae list`)",
        ),
    ] = "digits",
    epochs: Annotated[
        float | None,
        typer.Option(help="budget: epochs over the training split (default, with no budget given: 10)"),
    ] = None,
    steps: Annotated[
        int | None, typer.Option(help="budget: optimisation steps (batches) (default: see --epochs)")
    ] = None,
    budget: Annotated[
        str | None, typer.Option(help="budget: wall-clock, e.g. 90s, 5m, 1h (default: see --epochs)")
    ] = None,
    seed: Annotated[int, typer.Option(help="initial weights and data order")] = 0,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            help="images per step (compare and the tasks use 64: each default is the one its figures in "
            "BENCHMARKS.md were measured with)",
        ),
    ] = 128,
    precision: Annotated[str, typer.Option(help="auto, 32-true, bf16-mixed, 16-mixed")] = "auto",
    accelerator: Annotated[str, typer.Option(help="auto, cpu, cuda, mps")] = "auto",
    image_size: ImageSizeOpt = None,
    set_: SetOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue the run in --out from its checkpoint")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing run in --out")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    devices: Annotated[
        int, typer.Option(help="data-parallel processes (DDP) per machine: GPUs, or CPU processes")
    ] = 1,
    num_nodes: Annotated[
        int, typer.Option("--num-nodes", help="machines taking part, each with --devices processes")
    ] = 1,
    logger: LoggerOpt = "none",
    tracking_uri: TrackingUriOpt = None,
) -> None:
    """Train one model on one dataset into a run folder (weights, log.jsonl, sample grids, checkpoints).

    `--devices N` trains data-parallel in N processes (PyTorch DDP through Lightning Fabric); so does
    `torchrun --nproc-per-node N -m ganvae train ...`. --batch-size stays the global batch."""
    from ganvae.config import parse_duration, split_overrides
    from ganvae.registry import MODELS
    from ganvae.training import TrainConfig
    from ganvae.training.run import split_set_overrides
    from ganvae.training.run import train as run_train
    from ganvae.training.tracking import TrackingConfig
    from ganvae.writable import check_writable

    MODELS.get(model)  # unknown names fail before any data is loaded
    tracking = TrackingConfig(logger, tracking_uri)
    tracking.validate()
    check_writable(out, "--out", folder=True)  # and so does an --out that cannot be written
    model_over, train_over = split_set_overrides(model, split_overrides(set_ or []))
    cfg = TrainConfig(
        batch_size=batch_size,
        epochs=epochs,
        steps=steps,
        budget_s=parse_duration(budget) if budget is not None else None,
        seed=seed,
        precision=precision,
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
    )
    from ganvae.config import apply_overrides

    cfg = apply_overrides(cfg, train_over, where="training config")
    dataset, spec = _load_data(data, image_size)
    given = any(v is not None for v in (epochs, steps, budget))
    m, trainer = run_train(
        model,
        dataset,
        out,
        cfg,
        model_over,
        resume=resume,
        overwrite=overwrite,
        data_spec=spec,
        budget_given=given,
        progress=not quiet,
        tracking=tracking.rooted(out),
    )
    s = trainer.summary()
    if not trainer.is_global_zero_:  # one report, from the process that wrote the run folder
        return
    procs = f" x {s['processes']} processes" if s["processes"] > 1 else ""
    _echo(
        f"trained {model} on {dataset.name} for {s['step']} steps in {s['elapsed_s']:.1f} s "
        f"({s['images_per_s']:.0f} {m.unit}/s, {s['device']}{procs}, {s['precision']}); run folder: {out}"
    )


def _parse_labels(text: str | None, model, n: int):
    import torch

    from ganvae.data.classes import resolve_class
    from ganvae.errors import ConfigError

    if text is None:
        if model.num_classes:
            return torch.arange(n) % model.num_classes
        return None
    if not model.num_classes:
        raise ConfigError(
            "this model is not class-conditional; train cgan/cvae (or --set conditional=true) to use --labels"
        )
    names = model.class_names or [str(i) for i in range(model.num_classes)]
    out = [resolve_class(t, names, what="--labels") for t in text.split(",") if t.strip()]
    if not out:
        raise ConfigError("--labels is empty; give class indices or names separated by commas")
    return torch.tensor(out).repeat_interleave(max(1, n // len(out)))[:n]


@app.command()
@_command
def sample(
    run_dir: Annotated[
        Path, typer.Argument(help="a run, comparison or task folder, or a model folder in it")
    ],
    n: Annotated[int, typer.Option("-n", help="number of samples")] = 64,
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG grid to write")] = Path("samples.png"),
    labels: Annotated[str | None, typer.Option(help="class indices or names, comma-separated")] = None,
    seed: int = 0,
    model_name: ModelOpt = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="a sampling-only setting: prior=mixture (VAE), generator=raw (GAN); repeatable"
        ),
    ] = None,
) -> None:
    """Draw samples from a trained model and write them as a PNG grid."""
    import torch

    from ganvae.apply.capabilities import model_folder_for
    from ganvae.config import split_overrides
    from ganvae.errors import ConfigError
    from ganvae.grid import save_grid
    from ganvae.models.base import GenerativeModel
    from ganvae.writable import check_writable

    if n < 1:
        raise ConfigError("-n must be at least 1")
    check_writable(out, "--out", folder=False, example="samples.png")
    model = GenerativeModel.load(model_folder_for("sample", run_dir, model_name))
    model.with_sampling(split_overrides(set_ or []))
    y = _parse_labels(labels, model, n)
    images = model.sample(n, labels=y, generator=torch.Generator().manual_seed(seed))
    nrow = model.num_classes if labels is None and model.num_classes and model.num_classes <= 16 else None
    save_grid(images, out, nrow=nrow)
    _echo(f"wrote {n} samples of {model.registered_name} to {out}")


@app.command()
@_command
def info(
    target: Annotated[str, typer.Argument(help="a run folder, or a model name (with --data)")],
    data: DataOpt = "digits",
    image_size: ImageSizeOpt = None,
    model_name: ModelOpt = None,
) -> None:
    """Show a model's configuration, parameters and FLOPs per sample (and its training summary)."""
    from ganvae.errors import ConfigError
    from ganvae.registry import MODELS

    path = Path(target)
    if path.exists():
        from ganvae.models.base import GenerativeModel, read_config
        from ganvae.run_folder import resolve_model_folder

        folder = resolve_model_folder(path, model_name)
        model = GenerativeModel.load(folder)
        meta = read_config(folder)
    else:
        MODELS.get(target)
        if model_name is not None:
            raise ConfigError("--model picks a model inside a folder; give the folder, or drop --model")
        from ganvae.models.base import build_model

        dataset, _ = _load_data(data, image_size)
        model = build_model(target, dataset.shape, dataset.num_classes)
        meta = model.describe()
    _print_info(model, meta)


def _print_info(model, meta) -> None:
    from rich.console import Console
    from rich.table import Table

    from ganvae.models import family_of
    from ganvae.nn.flops import capacity_table

    console = Console()
    console.print(
        f"[bold]{model.registered_name}[/] ({family_of(model.registered_name)}) on "
        f"{model.kind().shape_text(model.shape)}, "
        f"{model.num_classes or 'no'} classes"
    )
    console.print("config: " + ", ".join(f"{k}={v}" for k, v in meta.get("config", {}).items()))
    from ganvae.apply.capabilities import uses

    can = uses(model)
    console.print("apply with: " + (", ".join(f"ganvae {c}" for c in can) if can else "no apply command"))
    if model.sampling_settings:
        # a model that draws no samples changes them where it is applied (`ganvae upscale --set`)
        command = (
            model.kind().sample_command if "sample" in model.capabilities or not can else f"ganvae {can[0]}"
        )
        how = f"{command} --set"
        console.print(f"changeable when drawing ({how}): {', '.join(sorted(model.sampling_settings))}")
    table = Table("part", "parameters", "forward MFLOPs / sample")
    for row in capacity_table(model):
        table.add_row(row["part"], f"{row['parameters']:,}", f"{row['flops'] / 1e6:.2f}")
    console.print(table)
    if "sample" in model.capabilities:
        from ganvae.nn.flops import sampling_flops

        # a diffusion model pays its sampler's steps per image: its cost at drawing time, apart from training
        console.print(f"sampling: {sampling_flops(model) / 1e6:.2f} MFLOPs per image")
    result = meta.get("result")
    if result:
        console.print(
            f"trained {result['step']} steps, {result['elapsed_s']:.1f} s, "
            f"{result['images_per_s']:.0f} {model.unit}/s on {result['device']} ({result['precision']})"
        )


@app.command()
@config_options
@_command
@plan_options(
    out_help="run folder (default runs/compare-DATA)",
    data_help=COMPARE_DATA,
    batch_help="images or rows per step (default: 64 for images, as in BENCHMARKS.md; 500 for tables, "
    "CTGAN's and TVAE's default)",
    budget_help=f"{IMAGE_BUDGET}; tables: 300 epochs",
    batch_size=None,
)
def compare(
    samples: Annotated[int, typer.Option(help="generated images per evaluation")] = 1000,
    recon_images: Annotated[
        int,
        typer.Option(
            "--recon-images",
            help="test images reconstructed per run (GANs invert each: the costly part of evaluation)",
        ),
    ] = 128,
    inception_weights: Annotated[
        Path | None,
        typer.Option(
            "--inception-weights",
            help="TorchScript Inception network (e.g. inception-2015-12-05.pt): adds FID and KID",
        ),
    ] = None,
    search: Annotated[
        int,
        typer.Option(
            "--search",
            help="N hyperparameter trials per model first (Optuna, on a validation split of the training "
            "data: FD for images, quality for tables); the seeds then train each model's best configuration",
        ),
    ] = 0,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="the search's database (default: RUN/study.db); postgresql://user@host/db lets the same "
            "command on several machines share one search",
        ),
    ] = None,
    checkpoint: Annotated[
        str,
        typer.Option(
            "--checkpoint",
            help="the weights of each run that are evaluated: last, best (lowest FD on a validation split "
            "held out of training), or auto: best when the training split has < 5,000 images, else last",
        ),
    ] = "auto",
    target: TargetOpt = None,
    categorical: CategoricalOpt = None,
    drop: DropOpt = None,
    metadata: MetadataOpt = None,
    rows: RowsOpt = 0,
    ctx: typer.Context = None,  # type: ignore[assignment]  # given by typer: which options were typed
    *,
    plan: dict,
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Train several models x seeds at one budget, evaluate them alike, write metrics.json and report.html.

    With no options: digits, vae vs dcgan, 3 seeds, 300 steps each (about 45 s on 2 idle CPU cores).
    Given a table (--data file.csv, or a built-in table): tabular-vae vs tabular-gan, scored on fidelity,
    diversity, utility (--target) and privacy. `--search N` tunes each model first."""
    import shlex

    from ganvae.data.catalog import kind_of_spec
    from ganvae.errors import ConfigError

    data = plan["data"]
    other = OTHER_COMPARISONS.get(kind_of_spec(data).name)  # e.g. a table: `ganvae task synthesize`
    if other is not None:
        if checkpoint != "auto":
            raise ConfigError(
                "--checkpoint chooses image models' weights by validation FD; drop it for tables"
            )
        options = {"target": target, "categorical": categorical, "drop": drop, "rows": rows}
        options["metadata"] = metadata
        options.update(search=search, storage=storage)
        given = ctx is not None and ctx.get_parameter_source("models").name != "DEFAULT"
        options.update(rerun=rerun, models_given=given)
        return other(plan, out, quiet, inception_weights=inception_weights, **options)
    if target or categorical or drop or rows or metadata:
        raise ConfigError(
            "--target, --categorical, --drop, --metadata and --rows apply to tables (--data file.csv)"
        )

    from ganvae.compare import CompareConfig
    from ganvae.evaluate.images import EvalConfig
    from ganvae.experiment.comparison import compare as run_compare

    evaluation = EvalConfig(
        n_samples=samples,
        n_recon=recon_images,
        inception_weights=str(inception_weights.resolve()) if inception_weights else None,
    )
    cfg = CompareConfig(
        **{**plan, "batch_size": plan["batch_size"] or 64},
        eval=evaluation,
        search=search,
        storage=storage,
        checkpoint=checkpoint,
    )
    folder = out or Path("runs") / f"compare-{Path(data).name}"
    command = "ganvae " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "ganvae compare"
    result = run_compare(cfg, folder, progress=not quiet, command=command, **rerun)
    if result.get("search"):
        from ganvae.experiment.search_figures import best_text

        for model, rec in result["search"]["models"].items():
            _echo(f"{model}: {best_text(rec)}")
    for v in result["verdicts"]:
        if v.get("winner"):
            how = "" if not v.get("runner_up") else ", clear" if v.get("clear") else ", not clear"
            claim = f"; claim {v['claim']['number']}: {v['claim']['verdict']}" if v.get("claim") else ""
            _echo(f"{v['use_case']}: {v['winner']} ({v['metric']} {v['value_text']}{how}{claim})")
    for c in result["claims"]:
        _echo(f"claim {c['number']} ({c['text']}): {c['verdict']}")
    if cfg.seeds < 2:
        _echo("one seed per model: no difference can be judged, every claim is inconclusive; use --seeds 3")
    _echo(f"report: {folder / 'report.html'}")


@app.command()
@_command
def report(
    run_dir: Annotated[Path, typer.Argument(help="a folder written by `ganvae compare` or `ganvae task`")],
    markdown: Annotated[bool, typer.Option("--markdown", help="also print a Markdown summary")] = False,
) -> None:
    """Re-render report.html from a run folder's metrics.json and figures (no training)."""
    from ganvae.report.html import write_report
    from ganvae.report.markdown import section_markdown, summary_markdown
    from ganvae.report.section import merge_task_verdicts, read_metrics, write_task_report

    metrics = read_metrics(run_dir, "compare")
    is_task = "task" in metrics
    path = write_task_report(run_dir) if is_task else write_report(run_dir)
    if markdown:
        _echo(
            section_markdown(metrics) if is_task else summary_markdown(merge_task_verdicts(metrics, run_dir))
        )
    _echo(f"report: {path}")


@app.command("list")
@_command
def list_() -> None:
    """List the models, datasets and tasks ganvae knows."""
    from rich.console import Console
    from rich.table import Table

    from ganvae.models import data_of, family_of
    from ganvae.registry import DATASETS, MODELS, TASKS

    console = Console()
    models = Table("model", "family", "data", "what it is", title="models (ganvae ... --models NAME)")
    for e in MODELS:  # the family the reports judge it as (Mult-DAE: "ae", not a VAE); no model is imported
        models.add_row(e.name, family_of(e.name), data_of(e.name), e.summary)
    console.print(models)
    datasets = Table("dataset", "kind", "here", "what it is", title="datasets (ganvae ... --data NAME)")
    datasets.columns[-1].overflow = "fold"  # a long install path wraps instead of being cut
    for e in DATASETS:
        where = e.extra["where"]()
        found = f"in {where}" if where else f"get it: {e.extra['how']}"
        datasets.add_row(e.name, e.extra["kind"], "yes" if where else "no", f"{e.summary}\n[dim]{found}[/]")
    console.print(datasets)
    tasks = Table("task", "what it does", title="tasks (ganvae task NAME)")
    for e in TASKS:
        tasks.add_row(e.name, e.summary)
    console.print(tasks)


@data_app.command("fetch")
@_command
def data_fetch(
    name: Annotated[str, typer.Argument(help="fashion-mnist or mnist")],
    dest: Annotated[Path | None, typer.Option(help="folder to write (default: the user cache)")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="a mirror to download from")] = None,
) -> None:
    """Download a built-in dataset (official files, SHA-256 verified, resumable)."""
    from ganvae.data import fetch_dataset
    from ganvae.writable import check_writable

    if dest is not None:
        check_writable(dest, "--dest", folder=True)
    folder = fetch_dataset(name, dest, base_url=base_url)
    _echo(f"{name} is in {folder}")


app.command()(score)
app.command()(morph)
app.command()(generate)
app.command("recommend")(recommend_items)
app.command("synthesize")(synthesize_rows)
app.command()(upscale)
app.command("translate")(translate_image)
app.command()(export)
app.command()(serve)


def main(argv: list[str] | None = None) -> None:
    """Entry point. Typer handles usage errors (exit 2) and exits with the command's code."""
    app(args=argv, prog_name="ganvae")


if __name__ == "__main__":
    main()
