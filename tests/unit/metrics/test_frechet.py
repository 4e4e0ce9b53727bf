"""Fréchet distance against closed forms, scipy's sqrtm and torchmetrics' FID with an identity extractor."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from ganvae.errors import DataError
from ganvae.metrics.frechet import frechet_distance, frechet_from_stats, gaussian_stats


def scipy_fd(mu1, s1, mu2, s2) -> float:
    """The textbook formula with scipy.linalg.sqrtm, as in pytorch-fid."""
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def random_cov(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_identical_sets_give_zero():
    x = torch.randn(300, 16, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)


def test_samples_approach_the_closed_form_of_two_gaussians():
    rng = np.random.default_rng(0)
    d = 4
    mu1, mu2 = np.zeros(d), rng.normal(size=d)
    s1, s2 = random_cov(rng, d), random_cov(rng, d)
    a = rng.multivariate_normal(mu1, s1, size=40_000)
    b = rng.multivariate_normal(mu2, s2, size=40_000)
    expected = scipy_fd(mu1, s1, mu2, s2)
    assert expected > 0.5  # the two Gaussians really differ
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.03, abs=0.02)


def test_stats_version_matches_scipy_sqrtm_exactly():
    rng = np.random.default_rng(1)
    for d in (1, 3, 20):
        mu1, mu2, s1, s2 = rng.normal(size=d), rng.normal(size=d), random_cov(rng, d), random_cov(rng, d)
        assert frechet_from_stats(mu1, s1, mu2, s2) == pytest.approx(scipy_fd(mu1, s1, mu2, s2), rel=1e-8)


def test_singular_covariances_have_the_exact_answer():
    # N(0, diag(1, 0)) vs N(0, diag(4, 0)): tr sqrt(S1 S2) = 2, so FD = 1 + 4 - 4 = 1.
    s1, s2 = np.diag([1.0, 0.0]), np.diag([4.0, 0.0])
    assert frechet_from_stats(np.zeros(2), s1, np.zeros(2), s2) == pytest.approx(1.0, abs=1e-12)


def test_fewer_samples_than_features_stays_finite_and_symmetric():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(20, 64, generator=g), torch.randn(30, 64, generator=g) + 0.5
    fd = frechet_distance(a, b)
    assert np.isfinite(fd) and fd > 0
    assert frechet_distance(b, a) == pytest.approx(fd, rel=1e-9)


def test_matches_torchmetrics_fid_with_an_identity_extractor():
    from torchmetrics.image.fid import FrechetInceptionDistance

    class Identity(torch.nn.Module):
        num_features = 8

        def forward(self, x):
            return x

    g = torch.Generator().manual_seed(3)
    a = torch.randn(500, 8, generator=g, dtype=torch.float64)
    b = torch.randn(400, 8, generator=g, dtype=torch.float64) * 1.5 + 0.3
    fid = FrechetInceptionDistance(feature=Identity())
    fid.update(a, real=True)
    fid.update(b, real=False)
    assert frechet_distance(a, b) == pytest.approx(float(fid.compute()), rel=1e-6)


def test_gaussian_stats_use_the_unbiased_covariance():
    x = np.random.default_rng(4).normal(size=(50, 3))
    mu, sigma = gaussian_stats(x)
    np.testing.assert_allclose(mu, x.mean(0))
    np.testing.assert_allclose(sigma, np.cov(x, rowvar=False))


def test_bad_inputs_raise_data_errors():
    with pytest.raises(DataError, match="features per sample"):
        frechet_distance(torch.zeros(5, 3), torch.zeros(5, 4))
    with pytest.raises(DataError, match="at least 2"):
        frechet_distance(torch.zeros(1, 3), torch.zeros(5, 3))
    with pytest.raises(DataError, match="NaN"):
        frechet_distance(torch.full((5, 3), float("nan")), torch.zeros(5, 3))
