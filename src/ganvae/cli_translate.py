"""`ganvae task translate` (unpaired translation between two domains, a task folder) and `ganvae translate`
(one image through a model it trained). Thin like `cli_tasks.py`: parse, call the library, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ganvae.cli_common import ModelOpt, _command, _echo
from ganvae.cli_config import config_options
from ganvae.cli_options import plan_options
from ganvae.cli_tasks import _command_line, task_app

DOMAIN_DATA = "a labelled dataset whose classes --source and --target name (leave out for two folders)"


@task_app.command()
@config_options
@_command
@plan_options(data="", data_help=DOMAIN_DATA, models="cyclegan,unit,cvae", seeds=3)
def translate(
    source: Annotated[
        str, typer.Option("--source", help='a folder of images, or classes of --data: "Sneaker", "0,1,2"')
    ] = "",
    target: Annotated[
        str, typer.Option("--target", help='a folder of images, or classes of --data: "Ankle boot"')
    ] = "",
    images: Annotated[int, typer.Option("--images", help="test images translated per direction")] = 500,
    *,
    plan: dict[str, Any],
    out: Path | None,
    quiet: bool,
    rerun: dict[str, bool],
) -> None:
    """Unpaired image-to-image translation (CycleGAN, UNIT, conditional VAE): target share, FD to the
    target, content kept (SSIM) and cycle PSNR, both ways, with a claims table."""
    from ganvae.experiment.verdicts import display
    from ganvae.tasks.translate import TranslateConfig, run_translate

    cfg = TranslateConfig(**plan, source=source, target=target, images=images)
    folder = out or Path("runs") / f"translate-{_slug(source)}-{_slug(target)}"
    m = run_translate(cfg, folder, progress=not quiet, command=_command_line(), **rerun)
    for name, row in m["results"]["directions"]["forward"].items():
        cells = ", ".join(
            f"{k} {display(row[k])}" for k in ("target_share", "fd", "content_ssim", "cycle_psnr")
        )
        _echo(f"{name}: {cells}")
    for claim in m["results"]["claims"]:
        _echo(f"{claim['verdict']}: {claim['claim']}")
    _echo(f"report: {folder / 'report.html'}")


def _slug(text: str) -> str:
    name = Path(text.rstrip("/")).name or text
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "domain"


@_command
def translate_image(
    run_dir: Annotated[
        Path, typer.Argument(help="a `ganvae task translate` folder, or a model folder in it")
    ],
    image: Annotated[Path, typer.Argument(help="the image to translate")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write")] = Path("styled.png"),
    reverse: Annotated[
        bool, typer.Option("--reverse", help="translate target → source instead of source → target")
    ] = False,
    model_name: ModelOpt = None,
) -> None:
    """Translate one image into the other domain with a trained translator (default: cyclegan, seed 0)."""
    from ganvae.apply.capabilities import model_folder_for
    from ganvae.apply.translate import translate_file
    from ganvae.writable import check_writable

    check_writable(out, "--out", folder=False, example="styled.png")
    folder = model_folder_for(
        "translate", run_dir, model_name, default="cyclegan", written_by="`ganvae task translate`"
    )
    done = translate_file(folder, image, out, reverse=reverse)
    for note in done["notes"]:
        _echo(f"note: {note}")
    _echo(f"{done['model']}: {image} translated {done['from']} → {done['to']}; wrote {out}")
