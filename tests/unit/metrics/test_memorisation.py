"""Memorisation: copies are found exactly; fresh samples look like test images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from ganvae.metrics.memorisation import memorisation, nearest_train_distance


def pool(n: int, seed: int) -> torch.Tensor:
    """Images of one distribution (784 pixels, like Fashion-MNIST)."""
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_copies_of_training_images_are_exact_copies():
    train, test = pool(300, 0), pool(100, 1)
    out = memorisation(train[:50], train, test, chunk=16)
    assert out["copy_share"] == 1.0
    assert out["nn_ratio_median"] == 0.0
    assert out["sample_nn_median"] == 0.0  # recomputed exactly, not cdist round-off


def test_fresh_samples_are_as_far_as_test_images():
    train, test, fresh = pool(400, 2), pool(200, 3), pool(200, 4)
    out = memorisation(fresh, train, test)
    assert out["copy_share"] == 0.0
    assert out["nn_ratio_median"] == pytest.approx(1.0, abs=0.05)


def test_half_copies_count_as_half():
    train, test = pool(200, 5), pool(100, 6)
    samples = torch.cat([train[:40], pool(40, 7)])
    assert memorisation(samples, train, test)["copy_share"] == 0.5


def test_nearest_distance_matches_scikit_learn_in_feature_space():
    rng = np.random.default_rng(8)
    train, q = rng.normal(size=(120, 10)).astype(np.float32), rng.normal(size=(25, 10)).astype(np.float32)
    expected = NearestNeighbors(n_neighbors=1).fit(train).kneighbors(q)[0][:, 0]
    np.testing.assert_allclose(nearest_train_distance(q, train, chunk=6).numpy(), expected, rtol=1e-5)
