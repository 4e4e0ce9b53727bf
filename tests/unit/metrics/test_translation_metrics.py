"""The translation figures against independent references: content SSIM against Wang et al.'s formula
written out here with scipy (Gaussian window 11, σ 1.5; borders mirrored and every position averaged, as
torchmetrics does) and against torchmetrics' own SSIM module; cycle PSNR against 10 log10(1 / MSE); the
target share against counting by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import ndimage

from ganvae.metrics.translation import content_ssim, cycle_psnr, target_share


def reference_ssim(a: np.ndarray, b: np.ndarray, sigma: float = 1.5, radius: int = 5) -> float:
    """SSIM of two H x W images in [0, 1] (Wang et al. 2004): Gaussian-weighted local statistics over an
    11 x 11 window (truncated at 5 px), the image mirrored beyond its border (torch's "reflect" is scipy's
    "mirror"), averaged over every pixel."""
    c1, c2 = 0.01**2, 0.03**2
    f = {"sigma": sigma, "truncate": radius / sigma, "mode": "mirror"}
    mu_a, mu_b = ndimage.gaussian_filter(a, **f), ndimage.gaussian_filter(b, **f)
    var_a = ndimage.gaussian_filter(a * a, **f) - mu_a**2
    var_b = ndimage.gaussian_filter(b * b, **f) - mu_b**2
    cov = ndimage.gaussian_filter(a * b, **f) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


@pytest.fixture(scope="module")
def pairs():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 1, 28, 28, generator=g, dtype=torch.float64)
    # translations that keep some of the input: a blend with other images, and noise
    y = (0.6 * x + 0.4 * torch.rand(4, 1, 28, 28, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x.float(), y.float()


def test_content_ssim_matches_the_formula_and_torchmetrics(pairs):
    from torchmetrics.image import StructuralSimilarityIndexMeasure

    x, y = pairs
    expected = np.mean([reference_ssim(x[i, 0].double().numpy(), y[i, 0].double().numpy()) for i in range(4)])
    assert content_ssim(x, y) == pytest.approx(expected, abs=1e-5)
    module = StructuralSimilarityIndexMeasure(data_range=1.0)  # its defaults: Gaussian 11, σ 1.5
    assert content_ssim(x, y) == pytest.approx(float(module(y, x)), abs=1e-5)
    assert content_ssim(x, x) == pytest.approx(1.0)


def test_cycle_psnr_is_ten_log10_of_one_over_the_mse_per_image(pairs):
    x, y = pairs
    mse = ((x.double() - y.double()) ** 2).flatten(1).mean(1)
    expected = float(np.mean([10 * math.log10(1 / float(m)) for m in mse]))
    assert cycle_psnr(x, y) == pytest.approx(expected, abs=1e-4)


def test_target_share_counts_the_most_likely_class():
    probs = torch.tensor([[0.9, 0.1], [0.3, 0.7], [0.45, 0.55], [0.6, 0.4]])
    assert target_share(probs, 1) == 0.5 and target_share(probs, 0) == 0.5
    assert math.isnan(target_share(torch.empty(0, 2), 1))
