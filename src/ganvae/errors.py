"""The few exceptions ganvae raises on purpose.

Every message says what was wrong *and* what to do; the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations


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
