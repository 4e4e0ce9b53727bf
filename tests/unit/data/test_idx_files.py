"""IDX reading: round trips (gzipped and raw), header checks, truncation and corruption."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from ganvae.data.images.idx import (
    is_gzip,
    read_idx,
    read_idx_header,
    read_idx_images,
    read_idx_labels,
    write_idx,
)
from ganvae.errors import DataError


@pytest.mark.parametrize("name", ["imgs-idx3-ubyte.gz", "imgs-idx3-ubyte"])
def test_roundtrip_gz_and_raw(tmp_path, name):
    x = np.random.default_rng(0).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    path = tmp_path / name
    write_idx(path, x)
    assert is_gzip(path) == name.endswith(".gz")
    np.testing.assert_array_equal(read_idx_images(path), x)
    assert read_idx_header(path) == (0x00000803, (5, 7, 4))


def test_gzip_detected_by_magic_not_by_name(tmp_path):
    x = np.arange(6, dtype=np.uint8)
    raw_named_gz = tmp_path / "labels.gz"
    write_idx(raw_named_gz, x, compress=False)
    gz_without_suffix = tmp_path / "labels"
    write_idx(gz_without_suffix, x, compress=True)
    np.testing.assert_array_equal(read_idx_labels(raw_named_gz), x)
    np.testing.assert_array_equal(read_idx_labels(gz_without_suffix), x)


def test_written_gzip_is_reproducible(tmp_path):
    x = np.ones((2, 3, 3), np.uint8)
    write_idx(tmp_path / "a.gz", x)
    write_idx(tmp_path / "b.gz", x)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_hand_built_header_is_read(tmp_path):
    # Independent of write_idx: the layout spelled out byte by byte.
    payload = bytes(range(12))
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(struct.pack(">I", 0x803) + struct.pack(">3I", 3, 2, 2) + payload)
    np.testing.assert_array_equal(read_idx_images(path), np.arange(12, dtype=np.uint8).reshape(3, 2, 2))


def test_wrong_magic_names_file_and_fix(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    write_idx(path, np.zeros(4, np.uint8))
    with pytest.raises(
        DataError, match=r"train-labels-idx1-ubyte has IDX magic 0x00000801, expected 0x00000803"
    ):
        read_idx_images(path)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "junk"
    path.write_bytes(b"hello world, not idx")
    with pytest.raises(DataError, match="is not an IDX file"):
        read_idx_images(path)


def test_unsupported_type_byte(tmp_path):
    path = tmp_path / "floats"
    path.write_bytes(struct.pack(">I", 0x0D03) + struct.pack(">3I", 1, 1, 1) + b"\0" * 4)
    with pytest.raises(DataError, match=r"only uint8 \(0x08\)"):
        read_idx(path)


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_file(tmp_path, gz):
    path = tmp_path / ("t.gz" if gz else "t")
    write_idx(path, np.random.default_rng(1).integers(0, 256, (50, 28, 28), dtype=np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"truncated") as e:
        read_idx_images(path)
    assert str(path) in str(e.value) and "download it again" in str(e.value)
    assert "\n" not in str(e.value)


def test_payload_longer_than_header(tmp_path):
    path = tmp_path / "long"
    write_idx(path, np.zeros((2, 2, 2), np.uint8), compress=False)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DataError, match="holds 9"):
        read_idx_images(path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "c.gz"
    write_idx(path, np.zeros((20, 10, 10), np.uint8))
    data = bytearray(path.read_bytes())
    data[12:30] = b"\xff" * 18  # damage the deflate stream, keep the gzip magic
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"c\.gz"):
        read_idx_images(path)


def test_header_claiming_huge_size_in_small_gzip(tmp_path):
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(struct.pack(">I", 0x803) + struct.pack(">3I", 100000, 1000, 1000)))
    with pytest.raises(DataError, match="impossible size"):
        read_idx_images(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_idx_images(tmp_path / "nope")
