"""SIGTERM and SIGINT end a whole command the way Ctrl-C ends its training loop: cleanly.

Python's defaults differ: SIGINT raises KeyboardInterrupt, but SIGTERM (what `kill`, SLURM and container
runtimes send) ends the process at once, with no `finally` run: the folder's lock file stays behind, a
tracked MLflow run stays RUNNING. `stopping()` turns both signals into `Stopped`, a KeyboardInterrupt, for
the length of a command, so that every `with` and `finally` on the way out runs (locks released, temporary
files removed, tracked runs ended KILLED) and the CLI prints one line. Inside, the training loop installs
its own handler for as long as it trains (finish the step, write a checkpoint, raise `Interrupted`); a
second signal there raises `Stopped` at once.

Exit codes follow shells and SLURM: 128 + the signal's number, 130 for SIGINT and 143 for SIGTERM.

>>> exit_code(signal.SIGTERM), exit_code(signal.SIGINT)
(143, 130)
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from ganvae.errors import Stopped

SIGNALS = (signal.SIGINT, signal.SIGTERM)

# In a `--jobs` worker a second signal must not cut a training step short: the parent and SLURM (which
# signals every process of a job) may each send one SIGTERM, and the parent kills a worker that outlasts
# its grace anyway (`experiment.runner`)
_PATIENT = False


def be_patient() -> None:
    """This process ignores any signal after the first (a `--jobs` worker: its parent escalates)."""
    global _PATIENT
    _PATIENT = True


def second_signal_stops() -> bool:
    """Whether a second SIGINT/SIGTERM stops at once (yes, unless `be_patient()` was called)."""
    return not _PATIENT


def exit_code(signum: int) -> int:
    """The exit status of a process stopped by `signum`, as a shell reports one killed by it."""
    return 128 + int(signum)


def raise_stopped(signum: int, frame: object) -> None:
    """The signal handler: raise `Stopped` where the main thread is."""
    raise Stopped(signum)


def handled(handler) -> tuple[signal.Signals, ...]:
    """Install `handler` for SIGINT and SIGTERM, except where the signal is ignored: a process started
    with SIGINT ignored (`nohup`, a background job of a script, a `--jobs` worker) keeps ignoring it.
    Returns the signals it took over."""
    taken = tuple(s for s in SIGNALS if signal.getsignal(s) is not signal.SIG_IGN)
    for s in taken:
        signal.signal(s, handler)
    return taken


@contextlib.contextmanager
def handling(handler) -> Iterator[dict]:
    """For the block, `handler` takes SIGINT and SIGTERM (`handled`; main thread only: Python delivers
    signals there, and only there may handlers be set). Yields the previous handlers, which are back after
    it."""
    if threading.current_thread() is not threading.main_thread():
        yield {}
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    taken = handled(handler)
    try:
        yield previous
    finally:
        for s in taken:
            if previous[s] is not None:  # None: a handler not set from Python, which cannot be put back
                signal.signal(s, previous[s])


def stopping() -> contextlib.AbstractContextManager[dict]:
    """For the block, SIGINT and SIGTERM raise `Stopped`."""
    return handling(raise_stopped)
