"""Kernel Inception Distance: the unbiased estimate of the squared maximum mean discrepancy (MMD²) with
the cubic polynomial kernel k(x, y) = (x·y / D + 1)³ (Bińkowski et al., 2018, "Demystifying MMD GANs").

Unlike the Fréchet distance, the estimator is unbiased, so its expected value does not depend on the sample
size and two samples of one distribution give ≈ 0 (single subsets can be negative). As in the reference
implementation the estimate is averaged over random subsets of `subset_size` samples from each set; the
spread over subsets is returned as a population standard deviation (as the reference and torchmetrics do).

With domain-classifier features the honest name is "KID (domain features)".

>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> a, b = torch.randn(400, 8, generator=g), torch.randn(400, 8, generator=g) + 1.0
>>> kernel_inception_distance(a, b, subsets=10, subset_size=200)[0] > 0.1
True
"""

from __future__ import annotations

import torch

from ganvae.errors import DataError
from ganvae.metrics.checks import ArrayLike, as_matrix, same_width
from ganvae.metrics.meta import declare

declare("kid", "KID (domain features)", better="lower")
declare("kid_inception", "KID (Inception)", better="lower")


def polynomial_kernel(
    x: torch.Tensor, y: torch.Tensor, degree: int = 3, gamma: float | None = None, coef: float = 1.0
) -> torch.Tensor:
    """k(x, y) = (gamma x·y + coef)^degree for all pairs; gamma defaults to 1 / D."""
    if gamma is None:
        gamma = 1.0 / x.shape[1]
    return (x @ y.T * gamma + coef) ** degree


def mmd2_unbiased(
    x: torch.Tensor, y: torch.Tensor, degree: int = 3, gamma: float | None = None, coef: float = 1.0
) -> float:
    """Unbiased MMD² between samples x (m x D) and y (n x D), m, n >= 2.

    MMD²_u = Σ_{i≠j} k(x_i, x_j) / m(m-1) + Σ_{i≠j} k(y_i, y_j) / n(n-1) - 2 Σ_{i,j} k(x_i, y_j) / mn
    (Gretton et al., 2012, Lemma 6): the diagonal terms k(x_i, x_i) are what make the plain V-statistic
    biased, so they are left out.
    """
    m, n = x.shape[0], y.shape[0]
    k_xx = polynomial_kernel(x, x, degree, gamma, coef)
    k_yy = polynomial_kernel(y, y, degree, gamma, coef)
    k_xy = polynomial_kernel(x, y, degree, gamma, coef)
    sum_xx = k_xx.sum() - k_xx.diagonal().sum()
    sum_yy = k_yy.sum() - k_yy.diagonal().sum()
    return float(sum_xx / (m * (m - 1)) + sum_yy / (n * (n - 1)) - 2.0 * k_xy.sum() / (m * n))


def kernel_inception_distance(
    feat_a: ArrayLike,
    feat_b: ArrayLike,
    subsets: int = 100,
    subset_size: int = 1000,
    *,
    degree: int = 3,
    gamma: float | None = None,
    coef: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[float, float]:
    """(mean, std) of the unbiased polynomial-kernel MMD² over `subsets` random subsets.

    Each subset draws min(subset_size, len(a), len(b)) samples without replacement from each set, as the
    reference implementation does when a set is smaller than the subset size. `generator` picks the
    subsets; by default a generator seeded with 0, so that the same inputs always give the same number.
    """
    a = as_matrix(feat_a, "feat_a", min_rows=2, dtype=torch.float64)
    b = as_matrix(feat_b, "feat_b", min_rows=2, dtype=torch.float64)
    same_width(a, b, "feat_a", "feat_b")
    if subsets < 1 or subset_size < 2:
        raise DataError(f"KID needs subsets >= 1 and subset_size >= 2, got {subsets} and {subset_size}")
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    m = min(subset_size, a.shape[0], b.shape[0])
    values = torch.empty(subsets, dtype=torch.float64)
    for s in range(subsets):
        ia = torch.randperm(a.shape[0], generator=g)[:m]
        ib = torch.randperm(b.shape[0], generator=g)[:m]
        values[s] = mmd2_unbiased(a[ia], b[ib], degree, gamma, coef)
    return float(values.mean()), float(values.std(correction=0))
