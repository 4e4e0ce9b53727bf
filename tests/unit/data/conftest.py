"""Shared fixtures for the image-data tests: tiny PNG folders, IDX files and a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganvae.data.images.idx import write_idx


@pytest.fixture
def make_image() -> Callable[..., Path]:
    """Write a random image: ``make_image(path, (h, w), mode="L", seed=0)``."""

    def make(path: Path, size: tuple[int, int] = (8, 8), mode: str = "L", seed: int = 0) -> Path:
        rng = np.random.default_rng(seed)
        h, w = size
        channels = {"L": 1, "RGB": 3, "RGBA": 4, "LA": 2}[mode]
        a = rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(a[..., 0] if channels == 1 else a, mode=None).convert(mode).save(path)
        return path

    return make


def _write_idx_set(
    folder: Path, n_train: int = 30, n_test: int = 10, *, gz: bool = True, size: int = 6, seed: int = 0
) -> dict[str, np.ndarray]:
    """Write a train/t10k IDX set of random images with labels 0..2 into `folder`; return the arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 3).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, size, size), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % 3).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, a in arrays.items():
        write_idx(folder / (stem + (".gz" if gz else "")), a)
    return arrays


@pytest.fixture
def write_idx_set() -> Callable[..., dict[str, np.ndarray]]:
    """``write_idx_set(folder, n_train=30, n_test=10, gz=True)``: a small train/t10k IDX set, labels 0..2."""
    return _write_idx_set


@dataclass
class FileServer:
    """A loopback HTTP server for the downloader tests; it honours Range unless told not to."""

    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    honour_range: bool = True
    cut_after: int | None = None  # send only this many body bytes, then drop the connection


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    state = FileServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            name = self.path.lstrip("/")
            state.requests.append((name, self.headers.get("Range")))
            body = state.files.get(name)
            if body is None:
                self.send_error(404)
                return
            start = 0
            rng = self.headers.get("Range")
            if rng and state.honour_range:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            end = len(body) if state.cut_after is None else start + state.cut_after
            self.wfile.write(body[start:end])

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
