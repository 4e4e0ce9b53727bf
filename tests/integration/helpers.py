"""Run the command line in-process and capture what it prints."""

from __future__ import annotations

import pytest

from ganvae.cli import main


def run(argv, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ganvae ARGV`."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err
