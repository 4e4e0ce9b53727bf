"""`check_writable`: every unwritable output is an OutputError naming the path and the OS's reason, found
by really trying (a probe that leaves nothing behind), not only by reading permission bits."""

from __future__ import annotations

import os

import pytest

from ganvae.errors import OutputError
from ganvae.writable import check_writable


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_writable_paths_pass_and_nothing_is_left_behind(tmp_path):
    (tmp_path / "run").mkdir()
    before = _tree(tmp_path)
    assert check_writable(tmp_path / "run", folder=True) == tmp_path / "run"
    check_writable(tmp_path / "new" / "deeper", folder=True)
    check_writable(tmp_path / "grids" / "g.png", "--out", folder=False)
    check_writable(tmp_path / "g.png", "--out", folder=False)
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    ("make", "path", "folder", "needle"),
    [
        ("file", "f", True, "--out {p} is a file, not a folder"),
        ("file", "f/sub", True, "cannot write --out {p}: {t}/f is a file, not a folder"),
        ("file", "f/g.png", False, "cannot write --out {p}: {t}/f is a file, not a folder"),
        ("dir", "d", False, "--out {p} is a folder; give a file name, e.g. {p}/samples.png"),
    ],
)
def test_a_file_where_a_folder_is_wanted_and_the_reverse(tmp_path, make, path, folder, needle):
    if make == "file":
        (tmp_path / "f").write_text("x")
    else:
        (tmp_path / "d").mkdir()
    p = tmp_path / path
    with pytest.raises(OutputError) as err:
        check_writable(p, "--out", folder=folder, example="samples.png")
    assert needle.format(p=p, t=tmp_path) in str(err.value)


@pytest.mark.parametrize("folder", [True, False])
def test_proc_is_refused_by_the_probe_with_the_os_reason(folder):
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    with pytest.raises(OutputError) as err:
        check_writable("/proc/ganvae-test/out.png" if not folder else "/proc/ganvae-test", folder=folder)
    # os.access says yes to root on /proc: only creating something there finds out
    assert "the OS refuses to create anything in /proc (No such file or directory)" in str(err.value)


def test_read_only_folder_through_access(tmp_path, monkeypatch):
    """A read-only folder as an ordinary user sees it (the tests may run as root, who may write anywhere:
    the permission bits are asked through os.access, patched here)."""
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match=r"is read-only \(permission denied\); give another --out"):
        check_writable(tmp_path / "run", folder=True)


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root writes into a chmod 0555 folder: tested through os.access"
)
def test_read_only_folder_for_real(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="read-only"):
            check_writable(ro / "run", folder=True)
    finally:
        ro.chmod(0o755)
