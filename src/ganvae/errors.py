"""The few exceptions ganvae raises on purpose.

Every message says what was wrong *and* what to do; the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations

import signal
from pathlib import Path


class GanvaeError(Exception):
    """Base class: a problem the user can fix (bad input, bad config, corrupt file)."""


class DataError(GanvaeError):
    """The data could not be found, read or understood."""


class ConfigError(GanvaeError):
    """A configuration value, option or name is invalid."""


class CheckpointError(GanvaeError):
    """A saved model or checkpoint is missing, corrupt or incompatible."""


class TrainingDiverged(GanvaeError):
    """A loss became NaN or infinite; the last good checkpoint was kept."""


class OutputError(GanvaeError):
    """An output path cannot be written (a file where a folder is wanted, a read-only place...)."""


class FolderInUse(GanvaeError):
    """Another process is working in the run folder (it holds the folder's lock)."""


class Interrupted(Exception):
    """Training stopped on SIGINT/SIGTERM after writing a checkpoint (not a KeyboardInterrupt, so that
    command-line frameworks do not swallow it). Not a GanvaeError: the CLI exits 128 + `signum` (130 for
    SIGINT, 143 for SIGTERM), not 2. Defined here, not in the loop, so that the command line catches it
    without importing PyTorch."""

    def __init__(self, step: int, folder: Path | None, signum: int = signal.SIGINT):
        super().__init__(f"interrupted at step {step}")
        self.step, self.folder, self.signum = step, folder, int(signum)

    def __reduce__(self):  # a `--jobs` worker sends it back pickled: rebuild it from all its fields
        return type(self), (self.step, self.folder, self.signum)


class Stopped(KeyboardInterrupt):
    """SIGINT or SIGTERM outside the training loop (`ganvae.stopping`). A KeyboardInterrupt, so that all
    on the way out treats it as Ctrl-C: locks released, temporary files removed, tracked runs KILLED.
    `folder`: the run folder the command worked in (its lock sets it on the way out), for the message.

    >>> str(Stopped(15))
    'stopped by SIGTERM'
    """

    def __init__(self, signum: int, folder: Path | None = None):
        super().__init__(int(signum))
        self.signum, self.folder = int(signum), folder

    def __str__(self) -> str:
        return f"stopped by {signal.Signals(self.signum).name}"

    def __reduce__(self):
        return type(self), (self.signum, self.folder)
