"""MSE / PSNR / SSIM against closed forms, an independent scipy SSIM, and skimage when installed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from ganvae.errors import DataError
from ganvae.metrics.reconstruction import (
    MAX_PSNR_DB,
    mse_per_image,
    psnr_per_image,
    reconstruction_metrics,
    ssim_per_image,
    ssim_window,
)


def pair(n: int = 6, size: int = 8, noise: float = 0.1, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, size, size, generator=g)
    return x, (x + noise * torch.randn(x.shape, generator=g)).clamp(0, 1)


def scipy_ssim(x: np.ndarray, y: np.ndarray, k: int, sigma: float) -> float:
    """Wang et al.'s SSIM map with a k x k Gaussian window, mirror-padded borders, averaged over pixels."""
    ax = np.arange(k) - (k - 1) / 2
    g1 = np.exp(-(ax**2) / (2 * sigma**2))
    w = np.outer(g1, g1) / np.outer(g1, g1).sum()

    def filt(a):
        return ndimage.correlate(a, w, mode="mirror")

    c1, c2 = 0.01**2, 0.03**2
    mx, my = filt(x), filt(y)
    vx, vy, cxy = filt(x * x) - mx**2, filt(y * y) - my**2, filt(x * y) - mx * my
    vx, vy = np.maximum(vx, 0), np.maximum(vy, 0)
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s.mean())


def test_psnr_is_the_closed_form_per_image():
    x, y = pair()
    mse = ((x - y) ** 2).flatten(1).mean(1)
    torch.testing.assert_close(mse_per_image(x, y), mse)
    torch.testing.assert_close(psnr_per_image(x, y), 10 * torch.log10(1 / mse), rtol=1e-5, atol=1e-4)
    out = reconstruction_metrics(x, y)
    assert out["psnr"] == pytest.approx(float((10 * torch.log10(1 / mse)).mean()), rel=1e-5)
    assert out["mse"] == pytest.approx(float(mse.mean()), rel=1e-6)


def test_perfect_reconstruction_is_capped_and_has_ssim_one():
    x, _ = pair()
    assert psnr_per_image(x, x).tolist() == [MAX_PSNR_DB] * len(x)
    torch.testing.assert_close(ssim_per_image(x, x), torch.ones(len(x)))


def test_ssim_window_fits_the_image():
    assert ssim_window(8, 8) == (7, pytest.approx(6 / 7))
    assert ssim_window(28, 28) == (11, 1.5)
    assert ssim_window(10, 64) == (9, pytest.approx(8 / 7))
    with pytest.raises(DataError):
        ssim_window(2, 8)


@pytest.mark.parametrize("size", [8, 16])
def test_ssim_matches_an_independent_scipy_computation(size):
    x, y = pair(n=3, size=size, noise=0.2, seed=1)
    k, sigma = ssim_window(size, size)
    expected = [
        scipy_ssim(a[0].double().numpy(), b[0].double().numpy(), k, sigma) for a, b in zip(x, y, strict=True)
    ]
    np.testing.assert_allclose(ssim_per_image(x, y).numpy(), expected, atol=1e-4)


def test_ssim_falls_with_noise():
    x, mild = pair(noise=0.05, seed=2)
    _, strong = pair(noise=0.3, seed=2)
    assert (ssim_per_image(x, strong) < ssim_per_image(x, mild)).all()


def test_ssim_matches_skimage_when_installed():
    metrics = pytest.importorskip("skimage.metrics")
    x, y = pair(n=2, size=32, noise=0.1, seed=3)
    for a, b in zip(x, y, strict=True):
        ref = metrics.structural_similarity(
            a[0].numpy(),
            b[0].numpy(),
            data_range=1.0,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
        assert float(ssim_per_image(a[None], b[None])[0]) == pytest.approx(ref, abs=0.02)


def test_shape_mismatch_is_a_data_error():
    with pytest.raises(DataError, match="differ in shape"):
        reconstruction_metrics(torch.zeros(2, 1, 8, 8), torch.zeros(3, 1, 8, 8))
