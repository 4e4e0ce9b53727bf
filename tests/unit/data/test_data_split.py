"""The seeded train/test split: sizes, stratification, determinism and tiny sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganvae.data.split import split_indices, train_test_split
from ganvae.errors import DataError


def test_sizes_and_partition():
    train, test = split_indices(101, None, 0.2, seed=3)
    assert len(test) == 21 and len(train) == 80
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(101))


def test_deterministic_and_seed_dependent():
    y = np.arange(100) % 4
    a = split_indices(100, y, 0.25, seed=0)
    b = split_indices(100, y, 0.25, seed=0)
    c = split_indices(100, y, 0.25, seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


def test_stratified_keeps_class_proportions():
    y = np.array([0] * 80 + [1] * 20)
    _, test = split_indices(100, y, 0.2, seed=0)
    assert np.bincount(y[test]).tolist() == [16, 4]


def test_singleton_class_falls_back_to_shuffle():
    y = np.array([0] * 9 + [1])
    train, test = split_indices(10, y, 0.2, seed=0)
    assert len(train) == 8 and len(test) == 2


def test_tiny_sets_keep_one_on_each_side():
    for n in (2, 3):
        train, test = split_indices(n, None, 0.01, seed=0)
        assert len(train) >= 1 and len(test) >= 1
    train, test = split_indices(3, None, 0.99, seed=0)
    assert len(train) == 1 and len(test) == 2
    with pytest.raises(DataError, match="at least 2 images"):
        split_indices(1)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_bad_fraction(fraction):
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        split_indices(10, None, fraction)


def test_tensors_and_arrays():
    x = torch.arange(20.0).reshape(10, 1, 1, 2)
    y = torch.arange(10) % 2
    xtr, xte, ytr, yte = train_test_split(x, y, 0.2, 0)
    assert isinstance(xtr, torch.Tensor) and xtr.shape == (8, 1, 1, 2) and yte.shape == (2,)
    assert torch.equal((xte[:, 0, 0, 0] / 2) % 2, yte.float())  # labels travel with their images
    xtr, xte, ytr, yte = train_test_split(np.arange(10), None, 0.3, 0)
    assert ytr is None and yte is None and len(xte) == 3
