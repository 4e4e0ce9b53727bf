"""The few exceptions ganvae raises on purpose.

Every message says what was wrong *and* what to do; the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations

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
    command-line frameworks do not swallow it). Not a GanvaeError: the CLI exits 130, not 2. Defined here,
    not in the loop, so that the command line catches it without importing PyTorch."""

    def __init__(self, step: int, folder: Path | None):
        super().__init__(f"interrupted at step {step}")
        self.step, self.folder = step, folder
