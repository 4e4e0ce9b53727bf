"""`ganvae task NAME` (the use cases, each writing a task folder) and the commands that apply one trained
model to new images: `ganvae score`. Thin like `cli.py`: parse, call the library, print."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ganvae.cli_common import (
    ModelOpt,
    _command,
    _echo,
    _note,
)
from ganvae.cli_config import config_options
from ganvae.cli_help import HelpGroup
from ganvae.cli_options import plan_options
from ganvae.errors import ConfigError

task_app = typer.Typer(
    help="Use cases run end to end with both families on the same data; each writes a task folder.",
    no_args_is_help=True,
    cls=HelpGroup,
)

RECOMMEND_DATA = "ml-100k (the copy in the recbole wheel), or a u.data / ratings.csv / .inter file"
TABLE_DATA = "a .csv / .parquet file, or credit-data, diamonds, wine, breast-cancer"

SearchOpt = Annotated[
    int,
    typer.Option(
        "--search",
        help="N hyperparameter trials per model first (Optuna, on a validation split of the training data); "
        "the seeds then train each model's best configuration",
    ),
]
StorageOpt = Annotated[
    str | None,
    typer.Option(
        "--storage",
        help="the search's database (default: RUN/study.db); postgresql://user@host/db lets the same "
        "command on several machines share one search",
    ),
]


def _command_line() -> str:
    return "ganvae " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _default_out(task: str, data: str, suffix: str = "") -> Path:
    return Path("runs") / f"{task}-{Path(data).name}{'-' + suffix if suffix else ''}"


@task_app.command()
@config_options
@_command
@plan_options(models="vae,dcgan", seeds=1)
def anomaly(
    normal_class: Annotated[
        str | None,
        typer.Option(
            "--normal-class", help="the class trained on (name or index); needed unless --all-classes"
        ),
    ] = None,
    all_classes: Annotated[
        bool, typer.Option("--all-classes", help="repeat for every class and report the mean")
    ] = False,
    score_images: Annotated[
        int, typer.Option("--score-images", help="test images scored (random subset); 0 = all")
    ] = 1000,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """One-class anomaly detection: train on one class, score the test split (AUROC, AUPRC, ROC curves)."""
    from ganvae.tasks.anomaly import AnomalyConfig, run_anomaly

    cfg = AnomalyConfig(**plan, normal_class=normal_class, all_classes=all_classes, score_images=score_images)
    folder = out or _default_out("anomaly", plan["data"])
    m = run_anomaly(cfg, folder, progress=not quiet, command=_command_line(), **rerun)
    for key, row in m["results"]["scores"].items():
        _echo(f"{key}: AUROC {row['auroc']['mean']:.3f}, AUPRC {row['auprc']['mean']:.3f}")
    _echo(f"report: {folder / 'report.html'}")


@task_app.command()
@config_options
@_command
@plan_options(models="cvae,cgan")
def augment(
    labels_per_class: Annotated[
        str, typer.Option("--labels-per-class", help="real labelled images per class, K (comma-separated)")
    ] = "10,50,100",
    synthetic_per_class: Annotated[
        int, typer.Option("--synthetic-per-class", help="generated images per class added")
    ] = 100,
    classifier_steps: Annotated[
        int, typer.Option("--classifier-steps", help="updates of the small classifier in every arm")
    ] = 150,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Augment K real labelled images per class with conditional samples: accuracy of a small classifier
    trained on real only, real + synthetic and synthetic only, against K."""
    from ganvae.errors import ConfigError
    from ganvae.tasks.augment import REAL, AugmentConfig, run_augment

    try:
        ks = tuple(int(k) for k in labels_per_class.split(",") if k.strip())
    except ValueError:
        raise ConfigError(
            f"--labels-per-class expects comma-separated integers such as 10,50,100, got {labels_per_class!r}"
        ) from None
    cfg = AugmentConfig(
        **plan,
        labels_per_class=ks,
        synthetic_per_class=synthetic_per_class,
        classifier_steps=classifier_steps,
    )
    folder = out or _default_out("augment", plan["data"])
    m = run_augment(cfg, folder, progress=not quiet, command=_command_line(), **rerun)
    for k, row in m["results"]["accuracy"].items():
        cells = ", ".join(f"{arm} {v['mean']:.3f}" for arm, v in row.items() if arm != REAL)
        _echo(f"K={k}: {REAL} {row[REAL]['mean']:.3f}, {cells}")
    _echo(f"report: {folder / 'report.html'}")


@task_app.command()
@config_options
@_command
@plan_options(models="vae,dvae,dcgan", seeds=1)
def denoise(
    noise: Annotated[
        str | None,
        typer.Option(
            "--noise",
            help="comma-separated corruptions NAME:LEVEL (gaussian:σ, salt-pepper:fraction, mask:area), "
            "e.g. gaussian:0.1,mask:0.25 (default: three Gaussian levels, salt-pepper:0.1, mask:0.25)",
        ),
    ] = None,
    images: Annotated[int, typer.Option("--images", help="test images corrupted and restored")] = 256,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Denoising: corrupt test images, restore them with each model (PSNR/SSIM against the clean images)."""
    from ganvae.tasks.denoise import DenoiseConfig, run_denoise

    extra: dict[str, Any] = {"images": images}
    if noise is not None:
        extra["noise"] = tuple(s.strip() for s in noise.split(",") if s.strip())
    cfg = DenoiseConfig(**plan, **extra)
    folder = out or _default_out("denoise", plan["data"])
    m = run_denoise(cfg, folder, progress=not quiet, command=_command_line(), **rerun)
    methods = m["results"]["methods"]
    for key in m["results"]["noise"]:
        cells = ", ".join(f"{name} {row['psnr'][key]['mean']:.2f}" for name, row in methods.items())
        _echo(f"{key} PSNR dB: {cells}")
    _echo(f"report: {folder / 'report.html'}")


@task_app.command()
@config_options
@_command
@plan_options(models="vae,dcgan", seeds=1)
def interpolate(
    pairs: Annotated[int, typer.Option(help="pairs of test images morphed per model")] = 8,
    path_steps: Annotated[int, typer.Option("--path-steps", help="decoded points per morph")] = 12,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Morph between pairs of real test images (linear and spherical paths): smoothness, strips, GIFs."""
    from ganvae.tasks.interpolate import InterpolateConfig, run_interpolate

    cfg = InterpolateConfig(**plan, pairs=pairs, path_steps=path_steps)
    folder = out or _default_out("interpolate", plan["data"])
    m = run_interpolate(cfg, folder, progress=not quiet, command=_command_line(), **rerun)
    for key, row in m["results"]["paths"].items():
        _echo(
            f"{key}: path length ratio {row['path_length_ratio']['mean']:.3f}, "
            f"endpoint PSNR {row['endpoint_psnr']['mean']:.1f} dB"
        )
    _echo(f"report: {folder / 'report.html'}")


@task_app.command()
@config_options
@_command
@plan_options(models="srgan,sr-vae,sr-regression")
def superres(
    scale: Annotated[
        int, typer.Option("--scale", help="upscaling factor, 2 or 4 (it must divide the image size)")
    ] = 2,
    images: Annotated[int, typer.Option("--images", help="test images upscaled and scored")] = 1000,
    draws: Annotated[int, typer.Option("--draws", help="outputs per input for the diversity figure")] = 4,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Super-resolution: downsample test images (antialiased bicubic), upscale them with SRGAN, a
    conditional VAE, an L1 regression network and bicubic; PSNR/SSIM, FD, sharpness, consistency."""
    from ganvae.experiment.verdicts import display
    from ganvae.tasks.superres import SuperresConfig, run_superres

    cfg = SuperresConfig(**plan, scale=scale, images=images, draws=draws)
    folder = out or _default_out("superres", plan["data"], f"x{scale}")
    m = run_superres(cfg, folder, progress=not quiet, command=_command_line(), **rerun)
    for name, row in m["results"]["methods"].items():
        cells = ", ".join(
            f"{label} {display(row[k])}"
            for k, label in (
                ("sr_psnr", "PSNR"),
                ("sr_ssim", "SSIM"),
                ("fd", "FD"),
                ("sr_sharpness_ratio", "sharpness"),
            )
        )
        _echo(f"{name}: {cells}")
    claim = m["results"]["claim"]
    _echo(f"claim: {claim['verdict']}" + (f" ({claim['reason']})" if claim["reason"] else ""))
    _echo(f"report: {folder / 'report.html'}")


@task_app.command()
@config_options
@_command
@plan_options(
    exclude=("image_size", "augment"),
    data_help=RECOMMEND_DATA,
    batch_help="users per step",
    budget_help="200 epochs (Liang et al. 2018's)",
    data="ml-100k",
    models="mult-vae,mult-dae,cfgan",
    batch_size=100,
)
def recommend(
    threshold: Annotated[float, typer.Option(help="ratings >= this are positives")] = 4.0,
    min_items: Annotated[int, typer.Option("--min-items", help="drop users with fewer positives")] = 5,
    test_users: Annotated[
        float, typer.Option("--test-users", help="share of users held out (strong generalisation)")
    ] = 0.2,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help="strong (held-out users, Liang et al. 2018) or recbole (RecBole 1.2.1's per-user "
            "80/10/10 split, seed 2020, uncapped recall: figures comparable with RecBole's)",
        ),
    ] = "strong",
    split_seed: Annotated[
        int | None, typer.Option("--split-seed", help="seed of the split (default 0; recbole: 2020)")
    ] = None,
    search: SearchOpt = 0,
    storage: StorageOpt = None,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Recommendation from implicit feedback on held-out users (or, --split recbole, on RecBole's split):
    Recall@20/50, NDCG@100, coverage, novelty (the popularity baseline is always included). `--search N`
    tunes each recommender first on validation NDCG@100."""
    from ganvae.tasks.recommend import RecommendConfig, run_recommend

    cfg = RecommendConfig(
        **plan,
        threshold=threshold,
        min_items=min_items,
        test_users=test_users,
        split=split,
        split_seed=split_seed,
        search=search,
        storage=storage,
    )
    folder = out or _default_out("recommend", plan["data"], "" if split == "strong" else split)
    m = run_recommend(cfg, folder, progress=not quiet, command=_command_line(), **rerun)
    for note in m["results"]["data"]["notes"]:
        _echo(note)
    _echo_search(m["results"])
    from ganvae.experiment.verdicts import display

    for name, row in m["results"]["models"].items():
        cells = ", ".join(f"{k} {display(row[k])}" for k in ("recall@20", "recall@50", "ndcg@100"))
        _echo(f"{name}: {cells}")
    _echo(f"report: {folder / 'report.html'}")


TargetOpt = Annotated[
    str | None, typer.Option("--target", help="column predicted in the utility test (built-ins: their own)")
]
CategoricalOpt = Annotated[
    str | None, typer.Option("--categorical", help="comma-separated columns forced categorical")
]
DropOpt = Annotated[str | None, typer.Option("--drop", help="comma-separated columns left out")]
MetadataOpt = Annotated[
    Path | None,
    typer.Option(
        "--metadata",
        help='JSON file of column kinds, SDV-style: {"columns": {"name": {"sdtype": "numerical"}}} '
        "(numerical, categorical, boolean, datetime, id: ids are left out and made fresh)",
    ),
]
RowsOpt = Annotated[int, typer.Option("--rows", help="synthetic rows per run (0 = as many as training rows)")]


def _echo_search(results: dict[str, Any]) -> None:
    """One line per searched model: its trials and the configuration its seeds trained."""
    from ganvae.experiment.search_figures import best_text

    for model, rec in (results.get("search") or {}).get("models", {}).items():
        _echo(f"{model}: {best_text(rec)}")


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def run_table_comparison(
    plan: dict[str, Any],
    target,
    categorical,
    drop,
    rows,
    out: Path,
    quiet: bool,
    search=0,
    storage=None,
    rerun: dict[str, bool] | None = None,
    metadata: Path | None = None,
) -> None:
    """`ganvae task synthesize`, and `ganvae compare` given a table: train, sample, score, print, report."""
    from ganvae.experiment.comparison import compare
    from ganvae.tasks.synthesize import SynthesizeConfig

    cfg = SynthesizeConfig(
        **plan,
        target=target,
        categorical=_names(categorical),
        drop=_names(drop),
        rows=rows,
        search=search,
        storage=storage,
        metadata=str(metadata.resolve()) if metadata is not None else None,
    )
    m = compare(cfg, out, progress=not quiet, command=_command_line(), **(rerun or {}))
    from ganvae.experiment.verdicts import display

    _echo_search(m["results"])
    for name, row in m["results"]["models"].items():
        shown = ("quality", "utility_gap", "utility_ratio", "dcr_ratio", "exact_copies")
        keys = [k for k in shown if k in row]
        _echo(f"{name}: " + ", ".join(f"{k} {display(row[k])}" for k in keys))
    _echo(f"report: {out / 'report.html'}")


def compare_table(
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    *,
    inception_weights,
    target,
    categorical,
    drop,
    rows,
    search=0,
    storage=None,
    rerun: dict[str, bool] | None = None,
    models_given: bool = False,
    metadata: Path | None = None,
) -> None:
    """`ganvae compare` given a table: tabular-vae against tabular-gan unless --models names models."""
    if plan["image_size"] is not None or inception_weights is not None:
        raise ConfigError("--image-size and --inception-weights apply to images, not tables")
    if not models_given:  # compare's default is for images; --models vae,dcgan given is refused
        plan["models"] = ("tabular-vae", "tabular-gan")
    plan = {**plan, "batch_size": plan["batch_size"] or 500}
    plan.pop("image_size")
    folder = out or Path("runs") / f"compare-{Path(plan['data']).stem}"
    run_table_comparison(
        plan, target, categorical, drop, rows, folder, quiet, search, storage, rerun, metadata=metadata
    )


# `ganvae compare` on data of a kind other than images, by the kind (`ganvae.data.catalog.kind_of_spec`):
# each takes compare's plan, --out, -q and the options compare has for other kinds
OTHER_COMPARISONS = {"table": compare_table}


@task_app.command()
@config_options
@_command
@plan_options(
    exclude=("image_size", "augment"),
    data_help=TABLE_DATA,
    batch_help="rows per step (CTGAN's and TVAE's default)",
    budget_help="300 epochs (CTGAN's and TVAE's default)",
    data="credit-data",
    models="tabular-vae,tabular-gan",
    batch_size=500,
)
def synthesize(
    target: TargetOpt = None,
    categorical: CategoricalOpt = None,
    drop: DropOpt = None,
    metadata: MetadataOpt = None,
    rows: RowsOpt = 0,
    search: SearchOpt = 0,
    storage: StorageOpt = None,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Tabular synthetic data: fidelity, diversity, utility (train synthetic, test real) and privacy.
    `--search N` tunes each model first on the quality score of validation rows."""
    folder = out or _default_out("synthesize", plan["data"])
    run_table_comparison(
        plan, target, categorical, drop, rows, folder, quiet, search, storage, rerun, metadata=metadata
    )


TABLE_FOLDERS = "`ganvae task synthesize` or `ganvae compare` on a table"


@_command
def synthesize_rows(
    run_dir: Annotated[
        Path, typer.Argument(help="a folder written by `ganvae compare` on a table, or a model in it")
    ],
    n: Annotated[int, typer.Option("-n", help="rows to draw")] = 1000,
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file written")] = Path("synthetic.csv"),
    model: Annotated[
        str | None,
        typer.Option(help="model in the folder: NAME or e.g. tabular-gan-seed1 (default: tabular-vae)"),
    ] = None,
    condition: Annotated[
        list[str] | None, typer.Option("--condition", help="COLUMN=VALUE a row must have (repeatable)")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed of the draw")] = 0,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="a sampling setting, key=value (tabular-vae: categorical=sample|argmax)"),
    ] = None,
) -> None:
    """Draw synthetic rows from a trained tabular model into a CSV (dtypes, categories and NaNs restored)."""
    from ganvae.apply.capabilities import model_folder_for
    from ganvae.config import split_overrides
    from ganvae.tasks.synthesize import draw_rows
    from ganvae.writable import check_writable

    check_writable(out, "--out", folder=False, example="synthetic.csv")
    conditions = {}
    for pair in condition or []:
        column, sep, value = pair.partition("=")
        if not sep or not column:
            raise ConfigError(f"--condition {pair!r} is not COLUMN=VALUE")
        conditions[column] = value
    sampling = split_overrides(set_ or [])
    folder = model_folder_for("synthesize", run_dir, model, default="tabular-vae", written_by=TABLE_FOLDERS)
    name, written = draw_rows(folder, n, out, conditions=conditions, seed=seed, sampling=sampling)
    _echo(f"{name}: {written} rows -> {out}")


@_command
def recommend_items(
    run_dir: Annotated[
        Path, typer.Argument(help="a `ganvae task recommend` folder, or a model folder in it")
    ],
    user: Annotated[str | None, typer.Option("--user", help="a user id of the task's ratings file")] = None,
    items: Annotated[
        str | None, typer.Option("--items", help="a new user: comma-separated ids of items they liked")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="how many items to recommend")] = 10,
    model: Annotated[
        str | None,
        typer.Option(help="model in the task folder: NAME or e.g. cfgan-seed1 (default: mult-vae)"),
    ] = None,
) -> None:
    """Top-k recommendations (titles when the data has them) for a known user or a new one (--items)."""
    from ganvae.tasks.recommend import recommend_for

    liked = [i.strip() for i in items.split(",") if i.strip()] if items is not None else None
    result = recommend_for(run_dir, user=user, items=liked, k=k, model=model)
    who = f"user {user}" if user is not None else "a new user"
    _echo(f"{result['model']}: top {k} for {who} ({len(result['known'])} known items excluded)")
    for rank, row in enumerate(result["items"], 1):
        _echo(f"{rank:3d}. {row['title'] or '(no title)'}  [item {row['item']}]")


@_command
def morph(
    run_dir: Annotated[
        Path, typer.Argument(help="a run, comparison or task folder, or a model folder in it")
    ],
    image_a: Annotated[Path, typer.Argument(help="first image")],
    image_b: Annotated[Path, typer.Argument(help="second image")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="GIF to write (a PNG strip goes beside it)")
    ] = Path("morph.gif"),
    steps: Annotated[int, typer.Option(help="frames from A to B")] = 16,
    method: Annotated[str, typer.Option(help="linear or slerp")] = "slerp",
    label: Annotated[
        str | None, typer.Option(help="class to morph within (class-conditional models)")
    ] = None,
    model_name: ModelOpt = None,
) -> None:
    """Morph image A into image B through a model's latent space; write an animated GIF and a PNG strip."""
    import torch

    from ganvae.apply.capabilities import model_folder_for
    from ganvae.data.classes import resolve_class
    from ganvae.data.images.named import load_named_images
    from ganvae.errors import ConfigError
    from ganvae.grid import save_gif, save_grid
    from ganvae.metrics import psnr_per_image
    from ganvae.models.base import GenerativeModel
    from ganvae.tasks.interpolate import morph as run_morph
    from ganvae.writable import check_writable

    if out.suffix.lower() != ".gif":
        out = out.with_suffix(".gif")
    check_writable(out, "--out", folder=False, example="morph.gif")  # the PNG strip goes beside it
    model = GenerativeModel.load(model_folder_for("morph", run_dir, model_name))
    cls = None
    if label is not None:
        if not model.num_classes:
            raise ConfigError(f"{model.registered_name} is not class-conditional; drop --label")
        cls = resolve_class(
            label, model.class_names or [str(i) for i in range(model.num_classes)], what="--label"
        )
    notes: list[str] = []
    _, a = load_named_images(image_a, model.shape, notes)
    _, b = load_named_images(image_b, model.shape, notes)
    for note in notes:
        _note(note)
    frames = run_morph(model, a[0], b[0], steps, method, cls)
    save_gif(list(frames), out)
    strip = out.with_suffix(".png")
    save_grid(torch.cat([a, frames, b]), strip, nrow=steps + 2)
    ends = psnr_per_image(torch.cat([a, b]), torch.cat([frames[:1], frames[-1:]]))
    _echo(
        f"wrote {out} and {strip} ({steps} frames, {method}); endpoints reconstructed at "
        f"{ends[0]:.1f} / {ends[1]:.1f} dB PSNR"
    )


@_command
def generate(
    run_dir: Annotated[
        Path, typer.Argument(help="a class-conditional model's folder (cvae, cgan), or a folder holding one")
    ],
    prompt: Annotated[str, typer.Option(help='a class name, e.g. "ankle boot"')],
    n: Annotated[int, typer.Option("-n", help="number of images")] = 16,
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG grid to write")] = Path("generated.png"),
    seed: int = 0,
    model_name: ModelOpt = None,
) -> None:
    """Generate images of the class a prompt names (exact or closest class name)."""
    import torch

    from ganvae.apply.capabilities import model_folder_for
    from ganvae.errors import ConfigError
    from ganvae.grid import save_grid
    from ganvae.models.base import GenerativeModel
    from ganvae.tasks.prompt import generate as run_generate
    from ganvae.writable import check_writable

    if n < 1:
        raise ConfigError("-n must be at least 1")
    check_writable(out, "--out", folder=False, example="generated.png")
    model = GenerativeModel.load(model_folder_for("generate", run_dir, model_name))
    images, name = run_generate(model, prompt, n, torch.Generator().manual_seed(seed))
    save_grid(images, out)
    _echo(f"wrote {n} images of class {name!r} from {model.registered_name} to {out}")


@_command
def score(
    run_dir: Annotated[
        Path, typer.Argument(help="a `ganvae task anomaly` folder, or a model folder in it (models/...)")
    ],
    data: Annotated[str, typer.Option("--data", "-d", help="an image, a folder of images, or a dataset")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write")] = Path("scores.csv"),
    method: Annotated[str | None, typer.Option(help="anomaly score (default: the model's first)")] = None,
    fpr: Annotated[
        float, typer.Option(help="false-positive rate on held-out normal images that sets the threshold")
    ] = 0.05,
    threshold: Annotated[
        float | None, typer.Option(help="flag scores above this value instead of using --fpr")
    ] = None,
    model_name: ModelOpt = None,
) -> None:
    """Score new images with a fitted model; write a CSV of (path, score, flag)."""
    from ganvae.apply.capabilities import model_folder_for
    from ganvae.tasks.scoring import score_images
    from ganvae.writable import check_writable

    check_writable(out, "--out", folder=False, example="scores.csv")
    folder = model_folder_for("score", run_dir, model_name, written_by="`ganvae task anomaly`")
    result = score_images(folder, data, out, method=method, fpr=fpr, threshold=threshold)
    for note in result["notes"]:
        _note(note)
    _echo(
        f"scored {result['n']} images with {result['method']}: {result['flagged']} flagged as anomalous "
        f"(threshold {result['threshold']:.4g}{result['how']}); wrote {out}"
    )


@_command
def upscale(
    run_dir: Annotated[
        Path, typer.Argument(help="a `ganvae task superres` folder, or a super-resolution model's folder")
    ],
    image: Annotated[Path, typer.Argument(help="the low-resolution image (PNG, JPEG, ...), any size")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write")] = Path("upscaled.png"),
    seed: Annotated[int, typer.Option(help="seed of a stochastic model's draw (sr-vae)")] = 0,
    model_name: ModelOpt = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="a sampling-only setting, key=value (sr-vae: temperature=0.5)"),
    ] = None,
) -> None:
    """Upscale an image with a trained super-resolution model (default in a task folder: srgan)."""
    from ganvae.apply.upscale import upscale_file
    from ganvae.config import split_overrides
    from ganvae.writable import check_writable

    check_writable(out, "--out", folder=False, example="upscaled.png")
    sampling = split_overrides(set_ or [])
    done = upscale_file(run_dir, image, out, model=model_name, seed=seed, sampling=sampling)
    if done["note"]:
        _echo(done["note"])
    (h, w), (oh, ow) = done["input"], done["output"]
    _echo(f"wrote {out} ({oh}x{ow}, {done['scale']}x of {h}x{w}) with {done['model']}")
