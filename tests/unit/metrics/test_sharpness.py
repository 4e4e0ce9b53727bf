"""Laplacian-variance sharpness against scipy.ndimage.laplace; blur lowers it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from ganvae.errors import DataError
from ganvae.metrics.sharpness import laplacian_variance, sharpness_ratio


def images(n: int, c: int = 1, size: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed))


def test_matches_scipy_laplace_on_interior_pixels():
    x = images(5, size=12)
    expected = [np.var(ndimage.laplace(img[0].double().numpy())[1:-1, 1:-1]) for img in x]
    np.testing.assert_allclose(laplacian_variance(x).numpy(), expected, rtol=1e-10)


def test_rgb_uses_bt601_luma():
    x = images(3, c=3, seed=1)
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    expected = [np.var(ndimage.laplace(g.double().numpy())[1:-1, 1:-1]) for g in luma]
    np.testing.assert_allclose(laplacian_variance(x).numpy(), expected, rtol=1e-6)


def test_blurring_lowers_sharpness():
    x = images(8, seed=2)
    blurred = torch.from_numpy(ndimage.gaussian_filter(x.numpy(), sigma=(0, 0, 1, 1))).float()
    assert (laplacian_variance(blurred) < laplacian_variance(x)).all()
    assert sharpness_ratio(blurred, x) < 0.3
    assert sharpness_ratio(x, x) == pytest.approx(1.0)


def test_batching_does_not_change_values():
    x = images(10, seed=3)
    torch.testing.assert_close(laplacian_variance(x, batch_size=3), laplacian_variance(x))


def test_flat_real_images_and_tiny_images_are_rejected():
    with pytest.raises(DataError, match="no detail"):
        sharpness_ratio(images(2), torch.zeros(2, 1, 8, 8))
    with pytest.raises(DataError, match="3x3"):
        laplacian_variance(torch.zeros(2, 1, 2, 2))
