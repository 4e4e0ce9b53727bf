""".npz archives: layouts, value ranges, labels and every error case."""

from __future__ import annotations

import numpy as np
import pytest

from ganvae.data import load_images
from ganvae.data.images.npz import read_npz
from ganvae.errors import DataError

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, (6, 5, 4), dtype=np.uint8)  # N x H x W


@pytest.mark.parametrize(
    ("x", "shape"),
    [
        (U8, (6, 1, 5, 4)),
        (U8[..., None], (6, 1, 5, 4)),  # N x H x W x 1
        (np.repeat(U8[..., None], 3, axis=-1), (6, 3, 5, 4)),  # N x H x W x 3
        (np.repeat(U8[:, None], 3, axis=1), (6, 3, 5, 4)),  # N x 3 x H x W
        (U8[:, None], (6, 1, 5, 4)),  # N x 1 x H x W
    ],
)
def test_layouts(tmp_path, x, shape):
    np.savez(tmp_path / "d.npz", x=x)
    out, y, names = read_npz(tmp_path / "d.npz")
    assert out.shape == shape and out.dtype == np.float32 and y is None and names is None
    np.testing.assert_allclose(out[:, 0], U8 / 255.0, atol=1e-7)


def test_float_ranges(tmp_path):
    unit = RNG.random((4, 3, 3))
    np.savez(tmp_path / "unit.npz", x=unit)
    np.testing.assert_allclose(read_npz(tmp_path / "unit.npz")[0][:, 0], unit, rtol=1e-6)
    np.savez(tmp_path / "byte.npz", x=unit * 255)
    np.testing.assert_allclose(read_npz(tmp_path / "byte.npz")[0][:, 0], unit, rtol=1e-5)


def test_out_of_range_floats(tmp_path):
    np.savez(tmp_path / "d.npz", x=RNG.random((4, 3, 3)) * 2 - 1)
    with pytest.raises(DataError, match=r"looks like \[-1, 1\] data"):
        read_npz(tmp_path / "d.npz")
    np.savez(tmp_path / "big.npz", x=np.full((2, 3, 3), 1000.0))
    with pytest.raises(DataError, match=r"values lie in \[1000, 1000\]"):
        read_npz(tmp_path / "big.npz")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite(tmp_path, bad):
    x = RNG.random((4, 3, 3))
    x[1, 1, 1] = bad
    np.savez(tmp_path / "d.npz", x=x)
    with pytest.raises(DataError, match="NaN or infinite"):
        read_npz(tmp_path / "d.npz")


def test_labels_and_class_names(tmp_path):
    y = np.array([0, 1, 2, 0, 1, 2], np.int32)
    np.savez(tmp_path / "d.npz", x=U8, y=y, class_names=np.array(["a", "b", "c"]))
    x, yy, names = read_npz(tmp_path / "d.npz")
    assert yy.dtype == np.int64 and yy.tolist() == y.tolist() and names == ["a", "b", "c"]
    data = load_images(str(tmp_path / "d.npz"), test_fraction=0.5)
    assert data.class_names == ["a", "b", "c"] and len(data.x_test) == 3 and data.name == "d"


def test_missing_x_lists_what_was_found(tmp_path):
    np.savez(tmp_path / "d.npz", images=U8, labels=np.zeros(6))
    with pytest.raises(DataError) as e:
        read_npz(tmp_path / "d.npz")
    assert "has no array 'x' (found: images, labels); save images as x=" in str(e.value)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.zeros(5, np.int64), "6 images but y has shape"),
        (np.zeros(6, np.float32), "labels must be integers"),
        (-np.ones(6, np.int64), "negative labels"),
    ],
)
def test_bad_labels(tmp_path, y, match):
    np.savez(tmp_path / "d.npz", x=U8, y=y)
    with pytest.raises(DataError, match=match):
        read_npz(tmp_path / "d.npz")


def test_bad_shape(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 5, 5, 5), np.uint8))
    with pytest.raises(DataError, match="need 1 or 3 channels"):
        read_npz(tmp_path / "d.npz")
    np.savez(tmp_path / "e.npz", x=np.zeros((10, 5), np.uint8))
    with pytest.raises(DataError, match="expected N x H x W"):
        read_npz(tmp_path / "e.npz")


def test_corrupt_and_non_zip_files(tmp_path):
    (tmp_path / "text.npz").write_text("this is not a zip archive")
    with pytest.raises(DataError, match=r"cannot read .*text\.npz as \.npz"):
        read_npz(tmp_path / "text.npz")
    np.savez_compressed(tmp_path / "c.npz", x=RNG.integers(0, 256, (50, 20, 20), dtype=np.uint8))
    data = (tmp_path / "c.npz").read_bytes()
    (tmp_path / "c.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"c\.npz"):
        read_npz(tmp_path / "c.npz")


def test_npy_instead_of_npz(tmp_path):
    np.save(tmp_path / "d.npy", U8)
    (tmp_path / "d.npy").rename(tmp_path / "d.npz")
    with pytest.raises(DataError, match=r"single array \(\.npy format\)"):
        read_npz(tmp_path / "d.npz")


def test_object_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.array([U8[0], "text"], dtype=object))
    with pytest.raises(DataError, match="holds Python objects"):
        read_npz(tmp_path / "d.npz")
