"""Reconstruction quality between image batches in [0, 1]: MSE, PSNR and SSIM (Wang et al., 2004, "Image
quality assessment: from error visibility to structural similarity").

PSNR is computed per image (10 log10(1 / MSE_i) with data range 1) and then averaged, so one perfect
reconstruction cannot dominate the mean of a batch; a perfect image is capped at `MAX_PSNR_DB` instead of
+inf. Reconstructions are clamped to [0, 1] first — that is the image a user would see or save.

SSIM uses torchmetrics. Its Gaussian window is derived from sigma alone (size 2·int(3.5σ + 0.5) + 1; the
standard σ = 1.5 gives 11x11) and its border is reflection-padded, which fails or mostly reflects padding
on small images such as 8x8 digits. We therefore use the standard 11x11 / σ = 1.5 window when the image
is at least 11 pixels on each side, and otherwise the largest odd window k that fits, with σ = (k - 1) / 7
so that torchmetrics' window is exactly k x k (k = 7, σ ≈ 0.86 on 8x8 digits).

>>> import torch
>>> x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
>>> round(reconstruction_metrics(x, x)["ssim"], 6)
1.0
"""

from __future__ import annotations

import torch

from ganvae.errors import DataError
from ganvae.metrics.checks import ArrayLike, as_images
from ganvae.metrics.meta import declare

declare("recon_psnr", "reconstruction PSNR", better="higher", unit="dB")
declare("recon_ssim", "reconstruction SSIM", better="higher", bounds=(-1.0, 1.0))
declare("recon_mse", "reconstruction MSE", better="lower", bounds=(0.0, None))

MAX_PSNR_DB = 100.0  # reported for a perfect reconstruction (MSE = 0) instead of +inf
STANDARD_WINDOW, STANDARD_SIGMA = 11, 1.5


def _pair(target: ArrayLike, recon: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    t = as_images(target, "target")
    r = as_images(recon, "reconstruction").clamp(0.0, 1.0)
    if t.shape != r.shape:
        raise DataError(
            f"target {tuple(t.shape)} and reconstruction {tuple(r.shape)} differ in shape; "
            "pass one reconstruction per target image"
        )
    return t, r


def ssim_window(height: int, width: int) -> tuple[int, float]:
    """(window size, sigma) for SSIM on height x width images: 11 / 1.5, or the largest odd fit."""
    side = min(height, width)
    if side >= STANDARD_WINDOW:
        return STANDARD_WINDOW, STANDARD_SIGMA
    k = side if side % 2 == 1 else side - 1
    if k < 3:
        raise DataError(f"SSIM needs images of at least 3x3 pixels, got {height}x{width}")
    return k, (k - 1) / 7.0


def mse_per_image(target: ArrayLike, recon: ArrayLike) -> torch.Tensor:
    """Mean squared error of each image pair; shape (N,)."""
    t, r = _pair(target, recon)
    return (t - r).pow(2).flatten(1).mean(dim=1)


def psnr_per_image(target: ArrayLike, recon: ArrayLike) -> torch.Tensor:
    """PSNR in dB of each image pair (data range 1), capped at MAX_PSNR_DB; shape (N,)."""
    from torchmetrics.functional.image import peak_signal_noise_ratio  # lazy: torchmetrics imports in ~1.5 s

    t, r = _pair(target, recon)
    psnr = peak_signal_noise_ratio(r, t, data_range=1.0, reduction="none", dim=(1, 2, 3))
    return psnr.clamp(max=MAX_PSNR_DB)


def ssim_per_image(target: ArrayLike, recon: ArrayLike, batch_size: int = 1024) -> torch.Tensor:
    """SSIM of each image pair (window from `ssim_window`, data range 1); shape (N,)."""
    from torchmetrics.functional.image import structural_similarity_index_measure

    t, r = _pair(target, recon)
    k, sigma = ssim_window(t.shape[2], t.shape[3])
    out = torch.empty(t.shape[0])
    # Batches bound memory: SSIM convolves five full-size maps per image.
    for start in range(0, t.shape[0], batch_size):
        stop = start + batch_size
        out[start : start + len(t[start:stop])] = structural_similarity_index_measure(
            r[start:stop], t[start:stop], data_range=1.0, kernel_size=k, sigma=sigma, reduction="none"
        )
    return out


def reconstruction_metrics(target: ArrayLike, recon: ArrayLike) -> dict[str, float]:
    """Mean MSE, mean per-image PSNR (dB) and mean SSIM of reconstructions against their targets."""
    return {
        "mse": float(mse_per_image(target, recon).mean()),
        "psnr": float(psnr_per_image(target, recon).mean()),
        "ssim": float(ssim_per_image(target, recon).mean()),
    }
