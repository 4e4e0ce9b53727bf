"""What the command-line modules share: option types, error mapping and loading helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

import typer

DataOpt = Annotated[
    str,
    typer.Option(
        "--data",
        "-d",
        help="built-in name (digits, fashion-mnist, mnist) or a folder of images / .npz / IDX path",
    ),
]
ImageSizeOpt = Annotated[str | None, typer.Option("--image-size", help="resize images to N or HxW")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="override a config value: key=value (repeatable)")
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="the model in a comparison or task folder: NAME, or a folder name such as vae-seed1 "
        "(default: the folder's only model, seed 0)",
    ),
]


def _echo(text: str = "") -> None:
    typer.echo(text)


def _command(fn: Callable[..., None]) -> Callable[..., None]:
    """Map ganvae's own errors to one line on stderr and exit code 2 (130 for an interrupted run)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from ganvae.errors import GanvaeError
        from ganvae.training.loop import Interrupted

        try:
            fn(*args, **kwargs)
        except GanvaeError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except Interrupted as exc:
            where = f"; checkpoint saved in {exc.folder}, continue with --resume" if exc.folder else ""
            typer.echo(f"interrupted at step {exc.step}{where}", err=True)
            raise typer.Exit(130) from None

    return wrapper


def _image_size(text: str | None):
    from ganvae.errors import ConfigError

    if text is None:
        return None
    parts = text.lower().replace("x", " ").split()
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        sizes = []
    if len(sizes) not in (1, 2) or min(sizes) < 4:
        raise ConfigError(f"--image-size {text!r} is not a size; write e.g. 28 or 32x48 (at least 4)")
    return sizes[0] if len(sizes) == 1 else (sizes[0], sizes[1])


def _load_data(spec: str, image_size: str | None):
    from ganvae.data import load_images

    size = _image_size(image_size)
    return load_images(spec, image_size=size), {"spec": spec, "image_size": size}
