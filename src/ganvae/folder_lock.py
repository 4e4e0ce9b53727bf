"""A run folder in use is locked: one process works in it at a time.

The lock is an OS advisory lock (`fcntl.flock`) on `RUN/.lock`, a file that holds the holder's pid as text
for the message a second process prints. The OS drops a flock when its process ends, however it ends
(SIGKILL, out of memory, power), so a killed run never leaves a stale lock: a `.lock` file left behind by a
killed process is merely locked again by the next one. A clean release removes the file (and the folder,
when the lock created it and nothing was written: bad input leaves nothing behind).

Where it is taken: the functions that own a run folder from start to end hold it through `@locking`:
`training.run.train` (a `ganvae train` folder, and every (model, seed) folder a comparison or task trains
into, via `train_or_reuse`), `compare.compare` (a comparison folder) and each task's `run_<task>` (a task
folder; `TaskFolder` has no end that the tasks bracket, so its owner is the function). A comparison's
folder and each of its model folders are separate locks, so `compare --jobs N` workers lock their model
folders while the parent holds the comparison's. A finished model folder is only read, unlocked (several
tasks beside one comparison share its models). A second process never waits: it raises `FolderInUse`,
which the CLI prints as one line with exit code 2.

Within one process the lock is re-entrant (a comparison run in this process trains into a folder it
already holds without refusing itself). Only the first process of a multi-process (DDP) launch locks: the
others work in the same folder by design.

>>> with locked("runs/x"):                   # doctest: +SKIP
...     ...                                  # another process: "runs/x is in use by ganvae (pid 1234)"
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import inspect
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ganvae.errors import FolderInUse, OutputError, Stopped
from ganvae.run_folder import LOCK
from ganvae.writable import check_writable, os_reason

__all__ = ["FolderLock", "clear_folder", "locked", "locking"]

F = TypeVar("F", bound=Callable[..., Any])

# resolved folder -> (pid, fd, depth): the locks this process holds. The pid tells a forked child that an
# entry is its parent's (a fork copies this dict, not the right to the lock)
_HELD: dict[str, tuple[int, int, int]] = {}
_GUARD = threading.Lock()
# the environment variables by which a multi-process launch (torchrun, Lightning Fabric) numbers its
# processes: all of them 0 or unset in the first one
_RANKS = ("RANK", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK")


class FolderLock:
    """The lock of run folder `folder` (created if missing); `acquire()` / `release()`, or `with`."""

    def __init__(self, folder: str | os.PathLike[str], what: str = "--out"):
        self.folder, self.what = Path(folder), what
        self._key: str | None = None
        self._created: Path | None = None  # the topmost folder acquire() created, removed if left empty

    def acquire(self) -> FolderLock:
        if self._key is not None or not _first_process():
            return self
        check_writable(self.folder, self.what, folder=True)
        self._created = _make_folder(self.folder, self.what)
        key = os.path.realpath(self.folder)
        with _GUARD:
            held = _HELD.get(key)
            if held is not None and held[0] == os.getpid():
                _HELD[key] = (held[0], held[1], held[2] + 1)
            else:
                try:
                    fd = _lock(self.folder)
                except BaseException:
                    self._remove_created()
                    raise
                _HELD[key] = (os.getpid(), fd, 1)
        self._key = key
        return self

    def release(self) -> None:
        """Release (idempotent). The last release in this process removes the lock file, then unlocks."""
        key, self._key = self._key, None
        if key is None:
            return
        with _GUARD:
            pid, fd, depth = _HELD[key]
            if depth > 1:
                _HELD[key] = (pid, fd, depth - 1)
                return
            del _HELD[key]
            # unlink before unlocking: a process that opened the old file and locks it after us sees that
            # the path no longer names it and tries again (`_lock`)
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(key, LOCK))
            os.close(fd)
        self._remove_created()

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.release()
        if isinstance(exc, Stopped) and self.folder.is_dir():
            # a signal stopped the work: the CLI's line names the folder to --resume. Outer locks
            # overwrite inner ones, so it names the command's own folder, not one model's inside it
            exc.folder = self.folder

    def _remove_created(self) -> None:
        created, self._created = self._created, None
        if created is None:
            return
        folder = self.folder
        while True:  # the empty folders acquire() made, deepest first; rmdir refuses any that hold files
            try:
                folder.rmdir()
            except OSError:
                return
            if folder == created:
                return
            folder = folder.parent


def locked(folder: str | os.PathLike[str], what: str = "--out") -> FolderLock:
    """`with locked(folder):` hold the lock of `folder` for the block (see the module docstring)."""
    return FolderLock(folder, what)


def locking(arg: str = "out") -> Callable[[F], F]:
    """Decorator: hold the lock of the folder passed as argument `arg` while the function runs."""

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            folder = signature.bind(*args, **kwargs).arguments[arg]
            with locked(folder):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def clear_folder(folder: str | os.PathLike[str]) -> None:
    """Empty a folder this process holds locked, keeping its lock (`--overwrite`): removing the folder
    would remove the lock file with it and let another process lock a new one."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name == LOCK:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _first_process() -> bool:
    return all(os.environ.get(name, "0") in ("", "0") for name in _RANKS)


def _make_folder(folder: Path, what: str) -> Path | None:
    """Create `folder` (and missing parents); the topmost folder created, or None if it existed."""
    top = None
    probe = folder
    while not probe.exists():
        top, probe = probe, probe.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {what} {folder}: {os_reason(exc)}; give another {what}") from None
    return top


def _lock(folder: Path) -> int:
    """Lock `folder/.lock` without waiting and write this pid into it; FolderInUse when another holds it."""
    path = folder / LOCK
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {os_reason(exc)}; give another --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _pid_in(fd)
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputError(f"cannot lock {path}: {os_reason(exc)}") from None
            who = f"pid {holder}" if holder else "another process"
            raise FolderInUse(
                f"{folder} is in use by ganvae ({who}); wait for it or give another --out"
            ) from None
        # the holder may have released (and removed the file) between our open and our lock: only the
        # file the path names now counts
        try:
            now = os.stat(path)
        except FileNotFoundError:
            now = None
        mine = os.fstat(fd)
        if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _pid_in(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
