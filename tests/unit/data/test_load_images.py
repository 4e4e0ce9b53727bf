"""`load_images` dispatch: built-in names, IDX folders and files, unknown names and missing paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganvae.data import load_images
from ganvae.errors import DataError


def _as_u8(x: torch.Tensor) -> np.ndarray:
    return (x[:, 0] * 255).round().to(torch.uint8).numpy()


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_keeps_official_split(tmp_path, write_idx_set, gz):
    arrays = write_idx_set(tmp_path / "kmnist", gz=gz)
    data = load_images(str(tmp_path / "kmnist"))
    assert data.name == "kmnist" and data.meta["split"] == "official"
    np.testing.assert_array_equal(_as_u8(data.x_train), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_test.numpy(), arrays["t10k-labels-idx1-ubyte"])
    assert data.class_names == ["0", "1", "2"]


def test_single_idx_file_with_labels_beside(tmp_path, write_idx_set):
    arrays = write_idx_set(tmp_path, n_train=20)
    data = load_images(str(tmp_path / "train-images-idx3-ubyte.gz"), test_fraction=0.25, seed=0)
    assert (len(data.x_train), len(data.x_test)) == (15, 5) and data.labelled
    assert data.meta["split"] == "seeded"
    # Each image keeps its own label through the shuffle.
    images, labels = arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]
    lookup = {img.tobytes(): int(lab) for img, lab in zip(images, labels, strict=True)}
    for img, lab in zip(_as_u8(data.x_test), data.y_test.tolist(), strict=True):
        assert lookup[img.tobytes()] == lab


def test_single_idx_file_without_labels(tmp_path, write_idx_set):
    write_idx_set(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    data = load_images(str(tmp_path / "train-images-idx3-ubyte.gz"))
    assert not data.labelled and len(data.x_train) + len(data.x_test) == 30


def test_idx_folder_with_one_images_file_is_split(tmp_path, write_idx_set):
    write_idx_set(tmp_path)
    for stem in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / stem).unlink()
    data = load_images(str(tmp_path), test_fraction=0.2)
    assert (len(data.x_train), len(data.x_test)) == (24, 6) and data.labelled


def test_idx_folder_with_labels_on_one_side(tmp_path, write_idx_set):
    write_idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="labels found for train-images-idx3-ubyte.gz but not for t10k"):
        load_images(str(tmp_path))


def test_idx_labels_count_mismatch(tmp_path, write_idx_set):
    write_idx_set(tmp_path)
    write_idx_set(tmp_path / "other", n_train=7)
    (tmp_path / "other" / "train-labels-idx1-ubyte.gz").replace(tmp_path / "train-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match="has 30 images but .* has 7 labels"):
        load_images(str(tmp_path))


def test_resize_applies_to_idx(tmp_path, write_idx_set):
    write_idx_set(tmp_path, size=12)
    data = load_images(str(tmp_path), image_size=(6, 8))
    assert data.shape == (1, 6, 8) and data.meta["original_size"] == (12, 12)


def test_nonexistent_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as e:
        load_images(str(missing))
    assert str(e.value) == (
        f"data path {missing} does not exist; give a built-in name (digits, fashion-mnist, mnist) "
        "or a folder/.npz/IDX path"
    )


def test_unknown_name_suggests_closest():
    with pytest.raises(
        DataError, match=r"data path fashon-mnist does not exist \(did you mean 'fashion-mnist'\?\)"
    ):
        load_images("fashon-mnist")


def test_dot_slash_means_a_path(tmp_path, monkeypatch, make_image):
    make_image(tmp_path / "digits" / "a.png")
    make_image(tmp_path / "digits" / "b.png", seed=1)
    monkeypatch.chdir(tmp_path)
    assert load_images("digits").source == "scikit-learn load_digits"
    assert load_images("./digits").source == str(tmp_path / "digits")


def test_npz_detected_by_zip_magic(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 3, 3), np.uint8))
    (tmp_path / "d.npz").rename(tmp_path / "images.bin")
    assert load_images(str(tmp_path / "images.bin")).shape == (1, 3, 3)


def test_unknown_file_format(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="cannot tell the format of .*data.csv"):
        load_images(str(tmp_path / "data.csv"))
