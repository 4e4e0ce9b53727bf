"""KID: the unbiased MMD² against a direct numpy computation and torchmetrics; ≈ 0 for one distribution."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganvae.errors import DataError
from ganvae.metrics.kid import kernel_inception_distance, mmd2_unbiased


def numpy_mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Double loops over pairs, straight from the definition with k(a, b) = (a·b / d + 1)^3."""
    d = x.shape[1]

    def k(a, b):
        return (a @ b / d + 1.0) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_equals_direct_numpy_computation_on_a_small_case():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(9, 5)) + 0.4
    expected = numpy_mmd2_unbiased(x, y)
    assert mmd2_unbiased(torch.from_numpy(x), torch.from_numpy(y)) == pytest.approx(expected, rel=1e-10)
    # One subset holding every sample: the permutation cannot change the value.
    x9 = x[:9]
    mean, std = kernel_inception_distance(x9, y, subsets=1, subset_size=9)
    assert mean == pytest.approx(numpy_mmd2_unbiased(x9, y), rel=1e-10)
    assert std == 0.0


def test_matches_torchmetrics_kid_with_an_identity_extractor():
    from torchmetrics.image.kid import KernelInceptionDistance

    g = torch.Generator().manual_seed(1)
    a = torch.randn(60, 6, generator=g, dtype=torch.float64)
    b = torch.randn(60, 6, generator=g, dtype=torch.float64) + 0.5
    with pytest.warns(UserWarning, match="buffer"):
        kid = KernelInceptionDistance(feature=torch.nn.Identity(), subsets=1, subset_size=60)
    kid.update(a, real=True)
    kid.update(b, real=False)
    ref_mean, _ = kid.compute()
    ours, _ = kernel_inception_distance(a, b, subsets=1, subset_size=60)
    assert ours == pytest.approx(float(ref_mean), rel=1e-9)


def test_near_zero_for_one_distribution_and_clearly_positive_for_shifted():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(600, 16, generator=g), torch.randn(600, 16, generator=g)
    same_mean, same_std = kernel_inception_distance(a, b, subsets=10, subset_size=300)
    shifted_mean, _ = kernel_inception_distance(a, b + 0.5, subsets=10, subset_size=300)
    assert abs(same_mean) < 3 * same_std + 1e-3
    assert shifted_mean > 20 * max(abs(same_mean), same_std)


def test_generator_makes_it_reproducible_and_subset_size_is_clipped():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(50, 4, generator=g), torch.randn(40, 4, generator=g)
    r1 = kernel_inception_distance(a, b, 5, 1000, generator=torch.Generator().manual_seed(7))
    r2 = kernel_inception_distance(a, b, 5, 1000, generator=torch.Generator().manual_seed(7))
    assert r1 == r2
    assert kernel_inception_distance(a, b, subsets=5) == kernel_inception_distance(a, b, subsets=5)


def test_bad_arguments_raise_data_errors():
    with pytest.raises(DataError):
        kernel_inception_distance(torch.zeros(10, 3), torch.zeros(10, 3), subsets=0)
    with pytest.raises(DataError):
        kernel_inception_distance(torch.zeros(10, 3), torch.zeros(10, 2))
