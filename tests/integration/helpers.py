"""Run the command line in-process and capture what it prints; the environment of a `ganvae` subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ganvae.cli import main


def run(argv, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ganvae ARGV`."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


SRC = Path(__file__).resolve().parents[2] / "src"


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a `python -m ganvae` subprocess: this checkout's sources first on its path, one
    OpenMP thread (two test processes share the 2 cores), and `extra`."""
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", **extra}
