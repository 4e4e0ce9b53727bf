"""Sharpness as the variance of the Laplacian (Pech-Pacheco et al., 2000, "Diatom autofocusing in
brightfield microscopy: a comparative study"), the usual focus / blur measure.

A blurred image has weak second derivatives, so its Laplacian varies little. ganvae reports the ratio of
the mean Laplacian variance of generated (or reconstructed) images to that of real test images: 1 means
"as sharp as real data", below 1 blurrier (the classic VAE complaint), above 1 noisier or over-sharpened.

The 3x3 kernel [[0,1,0],[1,-4,1],[0,1,0]] is applied to a grayscale version (channel mean for 1 channel,
ITU-R BT.601 luma for RGB) with no padding: any padding mode invents edges at the border, which on 8x8
images would be a large share of the pixels.

>>> import torch
>>> flat = torch.full((2, 1, 8, 8), 0.5)
>>> laplacian_variance(flat).tolist()
[0.0, 0.0]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganvae.errors import DataError
from ganvae.metrics.checks import ArrayLike, as_images
from ganvae.metrics.meta import declare

# 1 = as sharp as real images; above 1 is noise or over-sharpening, not "sharper is better"
declare("sharpness_ratio", "sample sharpness / real", ideal=1.0, scale="log", bounds=(0.0, None))
declare(
    "recon_sharpness_ratio", "reconstruction sharpness / real", ideal=1.0, scale="log", bounds=(0.0, None)
)

LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
_LUMA = torch.tensor([0.299, 0.587, 0.114])


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """N x 1 x H x W: BT.601 luma for 3 channels, the channel mean otherwise."""
    if images.shape[1] == 3:
        return (images * _LUMA.to(images.dtype).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    return images.mean(dim=1, keepdim=True)


def laplacian_variance(images: ArrayLike, batch_size: int = 4096) -> torch.Tensor:
    """Per-image variance (over pixels, ddof=0) of the 3x3 Laplacian of the grayscale image; shape (N,)."""
    x = as_images(images, "images", torch.float64)
    if x.shape[2] < 3 or x.shape[3] < 3:
        raise DataError(f"sharpness needs images of at least 3x3 pixels, got {x.shape[2]}x{x.shape[3]}")
    kernel = LAPLACIAN.to(torch.float64).view(1, 1, 3, 3)
    out = torch.empty(x.shape[0], dtype=torch.float64)
    for start in range(0, x.shape[0], batch_size):
        lap = F.conv2d(grayscale(x[start : start + batch_size]), kernel)  # no padding: valid pixels only
        out[start : start + lap.shape[0]] = lap.flatten(1).var(dim=1, correction=0)
    return out


def sharpness_ratio(samples: ArrayLike, real: ArrayLike) -> float:
    """Mean Laplacian variance of `samples` divided by that of `real` images (1 = as sharp as real)."""
    real_mean = float(laplacian_variance(real).mean())
    if real_mean <= 0.0:
        raise DataError(
            "the real images have no detail at all (zero Laplacian variance); the sharpness "
            "ratio is undefined, check that the right images were passed"
        )
    return float(laplacian_variance(samples).mean()) / real_mean
