"""Lines for the person running a command: what it is doing now, on stderr (stdout may be a redirected
result), flushed at once so that a log file written by nohup, CI or SLURM shows them as they happen.

Progress has two forms (`training.progress.TrainProgress`): Rich bars where stderr is an interactive
terminal of the main process, plain lines every `every_s()` seconds everywhere else (a redirected stderr,
a `--jobs` worker process, a dumb terminal). Rich's own test decides "interactive", so `TTY_INTERACTIVE=0`
forces lines and `TTY_INTERACTIVE=1` with `TTY_COMPATIBLE=1` forces bars.

>>> say("digits: 1,437 training images")        # doctest: +SKIP
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger("ganvae")

EVERY_S = 10.0  # seconds between progress lines outside a terminal
EVERY_ENV = "GANVAE_PROGRESS_SECONDS"


def say(text: str) -> None:
    """One line on stderr, flushed (and to the `ganvae` logger)."""
    log.info(text)
    # one write of the whole line: `print` writes the text and its newline apart, and with `--jobs` a
    # worker's line and the parent's could then meet on one line of a log file
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def every_s() -> float:
    """Seconds between progress lines outside a terminal: GANVAE_PROGRESS_SECONDS, else 10."""
    text = os.environ.get(EVERY_ENV, "")
    try:
        value = float(text)
    except ValueError:
        return EVERY_S
    return value if value > 0 else EVERY_S


def in_worker() -> bool:
    """Whether this is a worker process of `--jobs` (a multiprocessing child)."""
    return multiprocessing.parent_process() is not None


def interactive() -> bool:
    """Whether progress may be drawn as live bars: stderr is an interactive terminal (Rich's test) and
    this is not a worker process (`--jobs`: several workers' bars would overwrite each other)."""
    if in_worker():
        return False
    from rich.console import Console

    return Console(stderr=True).is_interactive


def clock(seconds: float) -> str:
    """`0:41`, `12:05`, `1:02:09`."""
    s = int(round(max(seconds, 0.0)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@contextmanager
def stage(label: str, doing: str | None, done: str = "done", enabled: bool = True) -> Iterator[None]:
    """`label: doing...` before a slow stage and `label: done in 3.2 s` after it. `doing` None: the line
    after only (a stage that checks the input: its refusal stays the only line)."""
    if not enabled:
        yield
        return
    if doing is not None:
        say(f"{label}: {doing}...")
    t0 = time.perf_counter()
    yield
    say(f"{label}: {done} in {time.perf_counter() - t0:.1f} s")


def sayer(label: str, enabled: bool = True) -> Callable[[str], None] | None:
    """A `say` that prefixes `label: ` (None when disabled), for code that reports its own stages."""
    if not enabled:
        return None
    return lambda text: say(f"{label}: {text}")
