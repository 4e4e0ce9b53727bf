"""Read and write IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., 1998).

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes,
then the payload in C order. Images are ``0x00000803`` (uint8, N x H x W) and labels ``0x00000801``
(uint8, N). Files may be gzipped; we detect that from the gzip magic bytes, not from the file name,
because people gunzip files and keep the ``.gz`` name (and the reverse).

>>> import numpy as np, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "train-images-idx3-ubyte.gz"
>>> write_idx(p, np.zeros((2, 28, 28), np.uint8))
>>> read_idx_images(p).shape
(2, 28, 28)
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ganvae.atomic import atomic_path
from ganvae.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"
UINT8 = 0x08
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
# Deflate cannot compress better than about 1032:1, so a gzipped header that claims a larger payload is
# corrupt; checking this before allocating keeps a damaged file from asking for terabytes of memory.
_MAX_DEFLATE_RATIO = 1032


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """True when the file starts with the gzip magic bytes."""
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")  # type: ignore[return-value]


def read_idx_header(path: str | os.PathLike[str]) -> tuple[int, tuple[int, ...]]:
    """Return ``(magic, dims)`` of an IDX file without reading its payload."""
    path = Path(path)
    try:
        with _open(path) as f:
            return _read_header(f, path)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(
            f"cannot read IDX file {path} ({e}); the file is corrupt, download it again"
        ) from None


def _read_header(f: BinaryIO, path: Path) -> tuple[int, tuple[int, ...]]:
    head = f.read(4)
    if len(head) < 4:
        raise DataError(f"{path} is too short to be an IDX file; download it again")
    magic = struct.unpack(">I", head)[0]
    if head[:2] != b"\x00\x00" or head[3] == 0:
        raise DataError(f"{path} is not an IDX file (magic 0x{magic:08x}); give an MNIST-format *-ubyte file")
    ndim = head[3]
    raw = f.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise DataError(f"{path} is truncated inside its IDX header; download it again")
    return magic, struct.unpack(f">{ndim}I", raw)


def read_idx(path: str | os.PathLike[str], expected_magic: int | None = None) -> np.ndarray:
    """Read a uint8 IDX file (gzipped or not) into a numpy array of the shape its header declares.

    Raises DataError when the magic number differs from `expected_magic`, the type is not uint8, or
    the payload is shorter or longer than the header says.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"IDX file {path} does not exist; check the path")
    gz = is_gzip(path)
    try:
        with _open(path) as f:
            magic, dims = _read_header(f, path)
            if expected_magic is not None and magic != expected_magic:
                want = "images" if expected_magic == IMAGES_MAGIC else "labels"
                raise DataError(
                    f"{path} has IDX magic 0x{magic:08x}, expected 0x{expected_magic:08x} for {want}; "
                    f"give the *-{want}-idx{expected_magic & 0xFF}-ubyte file"
                )
            if (magic >> 8) & 0xFF != UINT8:
                raise DataError(
                    f"{path} holds IDX type 0x{(magic >> 8) & 0xFF:02x}; only uint8 (0x08) is supported, "
                    "convert it to uint8 or save it as .npz"
                )
            header_len = 4 + 4 * len(dims)
            need = int(np.prod(dims, dtype=np.int64))
            size = path.stat().st_size
            if not gz and size - header_len != need:
                raise DataError(
                    f"{path}: header says {need} payload bytes (shape {'x'.join(map(str, dims))}) but the "
                    f"file holds {size - header_len}; the file is truncated or corrupt, download it again"
                )
            if gz and need > _MAX_DEFLATE_RATIO * size:
                raise DataError(
                    f"{path}: IDX header claims an impossible size; the file is corrupt, download it again"
                )
            out = np.empty(dims, dtype=np.uint8)
            # readinto a preallocated array avoids a second copy of the payload (47 MB for Fashion-MNIST).
            view = memoryview(out).cast("B")
            got = 0
            while got < need:
                n = f.readinto(view[got:])
                if not n:
                    break
                got += n
            if got < need:
                raise DataError(
                    f"{path}: header says {need} payload bytes but only {got} are there; "
                    "the file is truncated, download it again"
                )
            if f.read(1):
                raise DataError(
                    f"{path}: more data than its header declares (shape {'x'.join(map(str, dims))}); "
                    "the file is corrupt, download it again"
                )
    except (OSError, EOFError, zlib.error) as e:
        # gzip raises EOFError on a truncated stream and BadGzipFile / zlib.error on damaged bytes.
        raise DataError(
            f"cannot read IDX file {path} ({e}); the file is truncated or corrupt, download it again"
        ) from None
    return out


def read_idx_images(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX images file: uint8 array N x H x W."""
    return read_idx(path, IMAGES_MAGIC)


def read_idx_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX labels file: uint8 array of length N."""
    return read_idx(path, LABELS_MAGIC)


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write a uint8 array as an IDX file, atomically; gzipped when `compress` (default: name ends .gz)."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8 or not 1 <= array.ndim <= 255:
        raise DataError(
            f"write_idx needs a uint8 array with 1 to 255 dimensions, got {array.dtype} {array.shape}"
        )
    if compress is None:
        compress = path.suffix == ".gz"
    header = struct.pack(">BBBB", 0, 0, UINT8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        # No file name and mtime=0 in the gzip header keep the bytes reproducible, so checksums of the
        # files we write are stable from run to run.
        f = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if compress else raw
        f.write(header)
        f.write(memoryview(array).cast("B"))
        if f is not raw:
            f.close()
