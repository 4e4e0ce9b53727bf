"""Built-in datasets: digits (always there), Fashion-MNIST from the Debian package, IDX search paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganvae.data import load_images
from ganvae.data.catalog import FASHION_MNIST_CLASSES
from ganvae.data.images.builtin import data_dir, search_paths
from ganvae.errors import DataError
from ganvae.registry import DATASETS

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def fashion():
    if not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("fashion-mnist not installed: apt-get install dataset-fashion-mnist")
    with pytest.MonkeyPatch.context() as mp:
        # Only the Debian copy: a developer's cache or $GANVAE_DATA must not change what is tested.
        mp.delenv("GANVAE_DATA", raising=False)
        mp.setenv("XDG_CACHE_HOME", "/nonexistent-ganvae-test-cache")
        return load_images("fashion-mnist")


def test_registry_entries_have_extras():
    assert {"digits", "fashion-mnist", "mnist"} <= set(DATASETS.names())
    for entry in DATASETS:
        assert callable(entry.factory) and entry.summary
        assert isinstance(entry.extra["available"](), bool)
        where = entry.extra["where"]()
        assert where is None or isinstance(where, str)
    assert DATASETS.get("digits").extra["available"]() is True


def test_digits():
    data = load_images("digits")
    assert data.shape == (1, 8, 8) and data.num_classes == 10
    assert data.class_names == [str(i) for i in range(10)]
    assert (len(data.x_train), len(data.x_test)) == (1437, 360)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert float(data.x_train.min()) >= 0.0 and float(data.x_train.max()) == 1.0
    assert data.source == "scikit-learn load_digits"
    # Stratified: every digit is in the test split in about its share.
    assert data.y_test.bincount().min() >= 30


def test_digits_split_is_deterministic():
    a, b = load_images("digits"), load_images("digits")
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    assert a.fingerprint() == b.fingerprint()


def test_digits_resized():
    data = load_images("digits", image_size=16)
    assert data.shape == (1, 16, 16) and data.meta["original_size"] == (8, 8)
    assert float(data.x_train.min()) >= 0.0 and float(data.x_train.max()) <= 1.0


def test_fashion_mnist(fashion):
    assert (len(fashion.x_train), len(fashion.x_test)) == (60000, 10000)
    assert fashion.shape == (1, 28, 28) and fashion.x_train.dtype == torch.float32
    assert fashion.class_names == FASHION_MNIST_CLASSES
    assert fashion.y_train.bincount().tolist() == [6000] * 10
    assert fashion.y_test.bincount().tolist() == [1000] * 10
    assert float(fashion.x_train.max()) == 1.0 and float(fashion.x_train.min()) == 0.0
    assert fashion.source == str(DEBIAN_FASHION) and fashion.meta["split"] == "official"


def test_search_order_and_env(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAE_DATA", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data_dir("mnist") == tmp_path / "cache" / "ganvae" / "mnist"
    assert search_paths("mnist") == [tmp_path / "mine" / "mnist", tmp_path / "cache" / "ganvae" / "mnist"]
    assert search_paths("fashion-mnist")[-1] == DEBIAN_FASHION


def test_mnist_missing_message(tmp_path, monkeypatch):
    monkeypatch.delenv("GANVAE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert DATASETS.get("mnist").extra["available"]() is False
    with pytest.raises(DataError) as e:
        load_images("mnist")
    msg = str(e.value)
    assert msg.startswith(f"mnist not found in {tmp_path / 'ganvae' / 'mnist'}")
    assert "run `ganvae data fetch mnist` (needs internet)" in msg


def test_fashion_missing_message_suggests_apt(tmp_path, monkeypatch):
    monkeypatch.setattr("ganvae.data.images_on_disk.SYSTEM_DIRS", {"fashion-mnist": [tmp_path / "none"]})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GANVAE_DATA", raising=False)
    with pytest.raises(DataError, match=r"or `apt-get install dataset-fashion-mnist`$"):
        load_images("fashion-mnist")


def test_mnist_found_in_ganvae_data(tmp_path, monkeypatch, write_idx_set):
    arrays = write_idx_set(tmp_path / "mnist", gz=False)
    monkeypatch.setenv("GANVAE_DATA", str(tmp_path))
    assert DATASETS.get("mnist").extra["where"]() == str(tmp_path / "mnist")
    data = load_images("mnist")
    assert (len(data.x_train), len(data.x_test)) == (30, 10)
    assert data.class_names == [str(i) for i in range(10)]
    pixels = (data.x_train[:, 0] * 255).round().to(torch.uint8)
    assert torch.equal(pixels, torch.from_numpy(arrays["train-images-idx3-ubyte"]))
