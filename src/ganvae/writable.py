"""`check_writable`: whether an output path can be written, asked before any work.

Every command that writes calls it on its output first, so that a `--out` that is a file, lies in a
read-only folder or under /proc is one line and exit code 2 before the data loads, not a traceback after
minutes of training. It asks the OS twice: `os.access` (the permission bits, a clear "permission denied"
for ordinary users) and then a real probe (a temporary file or folder, removed at once), because access()
says yes to root everywhere and knows nothing of read-only mounts or /proc. Nothing is left behind.

>>> check_writable("runs/new", "--out", folder=True)       # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ganvae.errors import OutputError

__all__ = ["check_writable", "os_reason"]


def os_reason(exc: OSError) -> str:
    """The OS's own words for `exc` ("Permission denied"), without Python's "[Errno 13]" prefix."""
    return exc.strerror or str(exc)


def check_writable(
    path: str | os.PathLike[str], what: str = "--out", *, folder: bool, example: str = "out"
) -> Path:
    """Raise an OutputError naming `what` (the option) and `path` when `path` cannot be written: a folder
    (`folder=True`, created if missing) or a file (written beside itself, then renamed over; `example` is
    the file name suggested when a folder is given). Returns the path. Creates nothing that outlives the
    call."""
    path = Path(path)
    again = f"give another {what}"
    if folder and path.exists() and not path.is_dir():
        raise OutputError(f"{what} {path} is a file, not a folder; {again} (a new or a run folder)")
    if not folder and path.is_dir():
        raise OutputError(f"{what} {path} is a folder; give a file name, e.g. {path / example}")
    where = path if folder else path.parent
    existing = where
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot write {what} {path}: {existing} is a file, not a folder; {again}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {what} {path}: {existing} is read-only (permission denied); {again}")
    try:
        _probe(existing, where)
    except OSError as exc:
        raise OutputError(
            f"cannot write {what} {path}: the OS refuses to create anything in {existing} "
            f"({os_reason(exc)}); {again}"
        ) from None
    return path


def _probe(existing: Path, where: Path) -> None:
    """Create, then remove, what writing into `where` creates first: a file in it when it exists, else the
    first of its missing folders (under `existing`)."""
    if existing == where or where.exists():
        fd, tmp = tempfile.mkstemp(prefix=".ganvae-probe-", dir=where)
        os.close(fd)
        os.unlink(tmp)
        return
    first = where
    while first.parent != existing:
        first = first.parent
    first.mkdir()
    first.rmdir()
