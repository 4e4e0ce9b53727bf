"""The downloader against a loopback HTTP server: success, resume, restart, corruption, network errors."""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest

from ganvae.data import fetch_dataset, load_images
from ganvae.data.images import fetch as fetch_module
from ganvae.data.images.idx import write_idx
from ganvae.errors import DataError

IMAGES = "train-images-idx3-ubyte.gz"


@pytest.fixture
def served(tmp_path, file_server, monkeypatch):
    """Four small gz IDX files on the server, and a checksum table for them standing in for mnist's."""
    rng = np.random.default_rng(0)
    arrays = {
        IMAGES: rng.integers(0, 256, (200, 28, 28), dtype=np.uint8),  # ~150 kB: several read chunks
        "train-labels-idx1-ubyte.gz": (np.arange(200) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(20) % 10).astype(np.uint8),
    }
    src = tmp_path / "src"
    for name, a in arrays.items():
        write_idx(src / name, a)
        file_server.files[name] = (src / name).read_bytes()
    sums = {name: hashlib.sha256(body).hexdigest() for name, body in file_server.files.items()}
    monkeypatch.setitem(fetch_module.SOURCES, "mnist", fetch_module.Source("http://unused.invalid/", sums))
    return file_server


def _fetch(server, dest, **kw):
    return fetch_dataset("mnist", dest, base_url=server.url, quiet=True, **kw)


def test_download_verifies_and_loads(tmp_path, served):
    dest = _fetch(served, tmp_path / "dl")
    assert dest == tmp_path / "dl"
    for name, body in served.files.items():
        assert (dest / name).read_bytes() == body
    assert not list(dest.glob("*.part"))
    data = load_images(str(dest))
    assert (len(data.x_train), len(data.x_test)) == (200, 20)
    # A second run finds every file present with the right checksum and downloads nothing.
    served.requests.clear()
    _fetch(served, dest)
    assert served.requests == []


def test_resume_sends_range(tmp_path, served):
    dest = tmp_path / "dl"
    dest.mkdir()
    body = served.files[IMAGES]
    half = len(body) // 2
    (dest / (IMAGES + ".part")).write_bytes(body[:half])
    _fetch(served, dest)
    assert (IMAGES, f"bytes={half}-") in served.requests
    assert (dest / IMAGES).read_bytes() == body
    assert not (dest / (IMAGES + ".part")).exists()


def test_dropped_connection_keeps_part_then_resumes(tmp_path, served):
    body = served.files[IMAGES]
    served.cut_after = 50_000
    dest = tmp_path / "dl"
    with pytest.raises(
        DataError, match=rf"download of {served.url}{IMAGES} stopped at 50000 of {len(body)} bytes"
    ):
        _fetch(served, dest)
    assert (dest / (IMAGES + ".part")).stat().st_size == 50_000 and not (dest / IMAGES).exists()
    served.cut_after = None
    _fetch(served, dest)
    assert (IMAGES, "bytes=50000-") in served.requests
    assert (dest / IMAGES).read_bytes() == body


def test_server_ignoring_range_restarts(tmp_path, served):
    served.honour_range = False
    dest = tmp_path / "dl"
    dest.mkdir()
    body = served.files[IMAGES]
    (dest / (IMAGES + ".part")).write_bytes(body[:1000])
    _fetch(served, dest)  # the 200 answer carries the whole file: appending it would corrupt the result
    assert (dest / IMAGES).read_bytes() == body


def test_complete_part_answered_416(tmp_path, served):
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / (IMAGES + ".part")).write_bytes(served.files[IMAGES])
    _fetch(served, dest)
    assert (dest / IMAGES).read_bytes() == served.files[IMAGES]


def test_corrupt_download_is_rejected(tmp_path, served):
    good = served.files[IMAGES]
    served.files[IMAGES] = good[:100] + bytes([good[100] ^ 0xFF]) + good[101:]
    dest = tmp_path / "dl"
    with pytest.raises(DataError) as e:
        _fetch(served, dest)
    msg = str(e.value)
    assert msg.startswith(f"checksum mismatch for {IMAGES}")
    assert msg.endswith("the download is corrupt, run the command again")
    assert f"expected {hashlib.sha256(good).hexdigest()}" in msg
    assert not (dest / IMAGES).exists() and not (dest / (IMAGES + ".part")).exists()


def test_wrong_file_on_disk_is_replaced(tmp_path, served):
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / IMAGES).write_bytes(b"stale")
    _fetch(served, dest)
    assert (dest / IMAGES).read_bytes() == served.files[IMAGES]


def test_unreachable_server(tmp_path, served):
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(DataError, match=rf"cannot reach {url}{IMAGES} .*check your internet connection"):
        fetch_dataset("mnist", tmp_path / "dl", base_url=url, quiet=True, timeout=5)


def test_http_error(tmp_path, served):
    del served.files[IMAGES]
    with pytest.raises(DataError, match=r"HTTP 404"):
        _fetch(served, tmp_path / "dl")


def test_unknown_and_builtin_names(tmp_path):
    with pytest.raises(DataError, match="known downloadable datasets: fashion-mnist, mnist"):
        fetch_dataset("cifar10", tmp_path)
    with pytest.raises(DataError, match="digits ships with scikit-learn"):
        fetch_dataset("digits", tmp_path)


def test_default_destination_and_progress(tmp_path, served, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dest = fetch_dataset("mnist", base_url=served.url, quiet=False)  # exercises the rich progress bar
    assert dest == tmp_path / "cache" / "ganvae" / "mnist"
    assert (dest / IMAGES).read_bytes() == served.files[IMAGES]


def test_official_tables_are_complete():
    for name, source in fetch_module.SOURCES.items():
        assert source.base_url.startswith("http"), name
        assert set(source.sha256) == {
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        }
        assert all(len(v) == 64 and int(v, 16) >= 0 for v in source.sha256.values())
