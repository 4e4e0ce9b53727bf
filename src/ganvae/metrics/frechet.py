"""Fréchet distance between Gaussians fitted to two feature sets (Heusel et al., 2017, "GANs trained by a
two time-scale update rule converge to a local Nash equilibrium").

    FD = ||mu_a - mu_b||² + tr(S_a + S_b - 2 (S_a S_b)^½)

With Inception-v3 pool features this is the FID; ganvae's default features come from a domain classifier
(see `ganvae.features`), so reports must call it "FD (domain features)", never "FID".

Numerics: everything is float64. The reference implementation (pytorch-fid) takes `scipy.linalg.sqrtm` of
the non-symmetric product S_a S_b and, when that fails on a near-singular product, retries with eps·I
added to both covariances. We avoid the failure instead of patching it: with R = S_a^½ (symmetric, from
an eigen-decomposition with negative round-off eigenvalues clipped to 0), S_a S_b and R S_b R have the same
eigenvalues, and R S_b R is symmetric positive semi-definite, so tr (S_a S_b)^½ = Σ sqrt(eig(R S_b R))
with `eigvalsh` — real, finite and exact also for rank-deficient covariances (fewer samples than
features, dead ReLU units), with no eps bias.

>>> import torch
>>> a = torch.randn(500, 4, generator=torch.Generator().manual_seed(0))
>>> frechet_distance(a, a) < 1e-9
True
"""

from __future__ import annotations

import numpy as np
import torch

from ganvae.errors import DataError
from ganvae.metrics.checks import ArrayLike, as_matrix, same_width
from ganvae.metrics.meta import declare

declare("fd", "FD (domain features)", better="lower", bounds=(0.0, None))
# the same distance in the feature space of an Inception network the user supplies
declare("fid", "FID (Inception)", better="lower", bounds=(0.0, None))


def gaussian_stats(features: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D x D) of an N x D feature set, in float64."""
    f = as_matrix(features, "features", min_rows=2, dtype=torch.float64).numpy()
    mu = f.mean(axis=0)
    # ddof=1 as in pytorch-fid and torchmetrics, so our numbers are comparable with theirs.
    sigma = np.atleast_2d(np.cov(f, rowvar=False))
    return mu, sigma


def _sqrt_psd(s: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """tr (S1 S2)^½ for covariance matrices S1, S2 (see the module docstring for why this is stable)."""
    r = _sqrt_psd(s1)
    m = r @ s2 @ r
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(eig, 0.0, None)).sum())


def frechet_from_stats(mu1: ArrayLike, s1: ArrayLike, mu2: ArrayLike, s2: ArrayLike) -> float:
    """Fréchet distance between N(mu1, s1) and N(mu2, s2).

    >>> import numpy as np
    >>> frechet_from_stats(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))
    2.0
    """
    m1, m2 = (np.atleast_1d(np.asarray(m, dtype=np.float64)) for m in (mu1, mu2))
    c1, c2 = (np.atleast_2d(np.asarray(c, dtype=np.float64)) for c in (s1, s2))
    d = m1.shape[0]
    if m2.shape != (d,) or c1.shape != (d, d) or c2.shape != (d, d):
        raise DataError(
            f"Gaussian statistics do not match: means {m1.shape}, {m2.shape}, covariances "
            f"{c1.shape}, {c2.shape}; both need a D-vector and a D x D matrix of the same D"
        )
    for name, a in (("mean", m1), ("mean", m2), ("covariance", c1), ("covariance", c2)):
        if not np.isfinite(a).all():
            raise DataError(f"a {name} contains NaN or infinite values; check the features it came from")
    diff = m1 - m2
    value = float(diff @ diff + np.trace(c1) + np.trace(c2) - 2.0 * trace_sqrt_product(c1, c2))
    # The true value is >= 0; a tiny negative is round-off between the trace terms.
    return max(value, 0.0)


def frechet_distance(feat_a: ArrayLike, feat_b: ArrayLike) -> float:
    """Fréchet distance between Gaussians fitted to two N x D feature sets (any N >= 2 each).

    Symmetric in its arguments; 0 for identical sets. Its small-sample bias grows with D / N, so only
    compare values computed with the same number of samples.
    """
    a = as_matrix(feat_a, "feat_a", min_rows=2, dtype=torch.float64)
    b = as_matrix(feat_b, "feat_b", min_rows=2, dtype=torch.float64)
    same_width(a, b, "feat_a", "feat_b")
    return frechet_from_stats(*gaussian_stats(a), *gaussian_stats(b))
