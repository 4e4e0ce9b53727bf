"""PRDC on hand-built point sets with known answers, against a full-matrix numpy reference, chunked."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from ganvae.errors import DataError
from ganvae.metrics.pairwise import knn_radii, nearest_neighbours
from ganvae.metrics.prdc import prdc


def reference_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """The formulas of Naeem et al.'s reference code on full matrices (closed balls: <=)."""
    from scipy.spatial.distance import cdist

    r_real = np.sort(cdist(real, real), axis=1)[:, k]
    r_fake = np.sort(cdist(fake, fake), axis=1)[:, k]
    d = cdist(real, fake)  # N x M
    return {
        "precision": float((d <= r_real[:, None]).any(axis=0).mean()),
        "recall": float((d <= r_fake[None, :]).any(axis=1).mean()),
        "density": float((d <= r_real[:, None]).sum(axis=0).mean() / k),
        "coverage": float((d.min(axis=1) <= r_real).mean()),
    }


def blobs(centres: np.ndarray, per: int, seed: int, scale: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([c + scale * rng.normal(size=(per, centres.shape[1])) for c in centres])


def test_identical_sets_are_perfect():
    x = np.random.default_rng(0).normal(size=(300, 4))
    out = prdc(x, x, k=5)
    assert out["precision"] == out["recall"] == out["coverage"] == 1.0
    assert out["density"] >= 1.0  # every point sits in its own ball, plus its neighbours'


def test_far_away_set_scores_zero():
    x = np.random.default_rng(1).normal(size=(200, 4))
    assert prdc(x, x + 100.0, k=3) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_fake_set_covering_half_the_modes():
    centres = 10.0 * np.eye(4)
    real = blobs(centres, 200, seed=2)
    fake = blobs(centres[:2], 400, seed=3)  # same size, only modes 0 and 1
    out = prdc(real, fake, k=5)
    assert out["precision"] > 0.95  # every fake point is realistic
    assert out["recall"] == pytest.approx(0.5, abs=0.03)
    assert out["coverage"] == pytest.approx(0.5, abs=0.03)


def test_same_distribution_matches_naeem_expectations():
    # For one distribution E[density] = 1 and E[coverage] = 1 - prod_i (N-i)/(2N-i) ≈ 1 - 2^-k.
    g = torch.Generator().manual_seed(4)
    a, b = torch.randn(1000, 8, generator=g), torch.randn(1000, 8, generator=g)
    out = prdc(a, b, k=5)
    expected_cov = 1 - np.prod([(1000 - i) / (2000 - i) for i in range(1, 6)])
    assert out["coverage"] == pytest.approx(expected_cov, abs=0.02)
    assert out["density"] == pytest.approx(1.0, abs=0.06)


def test_equals_full_matrix_reference_and_chunking_does_not_matter():
    rng = np.random.default_rng(5)
    real, fake = rng.normal(size=(150, 6)), rng.normal(size=(120, 6)) * 1.3 + 0.2
    ref = reference_prdc(real, fake, k=4)
    whole, chunked = prdc(real, fake, k=4), prdc(real, fake, k=4, chunk=7)
    assert whole == chunked
    for key, value in ref.items():
        assert whole[key] == pytest.approx(value, abs=1e-12), key


def test_knn_radii_and_nearest_neighbours_match_scikit_learn():
    rng = np.random.default_rng(6)
    x, q = rng.normal(size=(100, 5)), rng.normal(size=(30, 5))
    dist, _ = NearestNeighbors(n_neighbors=4).fit(x).kneighbors(x)  # column 0 is the point itself
    np.testing.assert_allclose(knn_radii(torch.from_numpy(x), k=3, chunk=9).numpy(), dist[:, 3], rtol=1e-10)
    d1, i1 = NearestNeighbors(n_neighbors=1).fit(x).kneighbors(q)
    d2, i2 = nearest_neighbours(torch.from_numpy(q), torch.from_numpy(x), chunk=4)
    np.testing.assert_allclose(d2.numpy(), d1[:, 0], rtol=1e-10)
    np.testing.assert_array_equal(i2.numpy(), i1[:, 0])


def test_too_few_samples_for_k_is_a_data_error():
    with pytest.raises(DataError, match="at least 6"):
        prdc(np.zeros((5, 2)), np.zeros((50, 2)), k=5)
