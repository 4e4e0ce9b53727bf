"""Atomic writes leave ordinary permissions (mkstemp alone would make every output 0600)."""

from __future__ import annotations

from ganvae import atomic


def test_atomic_files_and_dirs_get_umask_permissions(tmp_path):
    atomic.write_text(tmp_path / "a.txt", "hi")
    with atomic.atomic_dir(tmp_path / "d") as d:
        (d / "x").write_text("y")
    assert (tmp_path / "a.txt").read_text() == "hi" and (tmp_path / "d" / "x").read_text() == "y"
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o777 & ~atomic._UMASK
