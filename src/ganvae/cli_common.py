"""What the command-line modules share: option types, error mapping and loading helpers."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
from collections.abc import Callable, Iterator
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
ImageSizeOpt = Annotated[
    str | None, typer.Option("--image-size", help="resize images to N or HxW (default: their own size)")
]
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


def _note(text: str) -> None:
    """A line about how the input was read, on stderr (stdout may be a redirected result)."""
    typer.echo(text, err=True)


def _command(fn: Callable[..., None]) -> Callable[..., None]:
    """Map ganvae's own errors, the OS's (a path that cannot be written or read) and a failed allocation
    to one line on stderr and exit code 2: no traceback for what the user can fix. Commands check their
    outputs first (`ganvae.writable`); this catches what only shows later (a full disk, a path removed
    meanwhile). SIGINT and SIGTERM anywhere in the command (`ganvae.stopping`) end it with one line too,
    and exit code 130 or 143 (128 + the signal's number)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from ganvae.errors import GanvaeError, Interrupted, Stopped
        from ganvae.stopping import exit_code, stopping

        try:
            with stopping():
                if "quiet" in kwargs:  # a command that trains: PyTorch and Fabric load now, under a line
                    with _starting(fn.__name__, kwargs["quiet"] is False):
                        import ganvae.training.loop  # noqa: F401
                fn(*args, **kwargs)
        except GanvaeError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except Interrupted as exc:  # inside the training loop: the step finished, a checkpoint written
            where = (
                f"; checkpoint saved in {exc.folder}: the same command with --resume continues"
                if exc.folder
                else ""
            )
            typer.echo(f"interrupted at step {exc.step}{where}", err=True)
            raise typer.Exit(exit_code(exc.signum)) from None
        except KeyboardInterrupt as exc:  # anywhere else: what was finished is kept, nothing half-written
            stop = exc if isinstance(exc, Stopped) else Stopped(signal.SIGINT)  # a bare one: Ctrl-C
            # a comparison or task keeps its finished runs; a single `train` has only the one run
            kept = "" if fn.__name__ == "train" else " (finished runs are kept)"
            where = f"; {stop.folder}: the same command with --resume continues{kept}" if stop.folder else ""
            typer.echo(f"{stop}{where}", err=True)
            raise typer.Exit(exit_code(stop.signum)) from None
        except OSError as exc:
            typer.echo(f"error: {_os_error(exc)}", err=True)
            raise typer.Exit(2) from None
        except (MemoryError, RuntimeError) as exc:
            if not _out_of_memory(exc):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "an allocation failed"
            typer.echo(
                f"error: out of memory ({first}); use a smaller --image-size, --batch-size or model",
                err=True,
            )
            raise typer.Exit(2) from None

    return wrapper


@contextlib.contextmanager
def _starting(command: str, enabled: bool) -> Iterator[None]:
    """In a terminal, `ganvae COMMAND: loading PyTorch...` while the slow imports run, erased after them
    (the command's own first line, or its one-line error, then stands alone). Commands that train
    (those with --quiet) only; not outside a terminal, where nobody watches a blank screen."""
    if not (enabled and sys.stderr.isatty()):
        yield
        return
    sys.stderr.write(f"ganvae {command}: loading PyTorch...")
    sys.stderr.flush()
    try:
        yield
    finally:
        sys.stderr.write("\r\x1b[K")  # back to the line's start, and clear it
        sys.stderr.flush()


def _os_error(exc: OSError) -> str:
    """`PATH: the OS's reason; what to do` for an OSError that escaped a command."""
    reason = exc.strerror or str(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = f"{' -> '.join(paths)}: " if paths else ""
    return f"{where}{reason}; check the path, its permissions and the free disk space"


def _out_of_memory(exc: BaseException) -> bool:
    # torch raises OutOfMemoryError on GPUs and a RuntimeError naming the CPU allocator on the host
    return (
        isinstance(exc, MemoryError)
        or type(exc).__name__ == "OutOfMemoryError"
        or "can't allocate memory" in str(exc)
    )


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
