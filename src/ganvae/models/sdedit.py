"""Partial noising and denoising with a trained diffusion model: blind denoising and an anomaly score.

- **Restoring** a noisy image (SDEdit, Meng et al. 2022, "SDEdit: guided image synthesis and editing with
  stochastic differential equations"): an image carrying Gaussian noise of standard deviation s (on the
  model's [-1, 1] scale) is, scaled by sqrt(abar_t), a sample of the forward process at the step t where
  (1 - abar_t) / abar_t = s^2. So it is noised *to* the first sampler step t whose noise is at least that
  (topping up the variance to exactly 1 - abar_t) and the reverse process runs from there: a little noise
  takes a few steps, heavy noise most of them. The restoration is blind: s is estimated per image from
  the image itself (`noise_sigma`), unless the model's `restore_noise` setting gives it.
- **Anomaly score** (AnoDDPM, Wyatt et al. 2022, "AnoDDPM: anomaly detection with denoising diffusion
  probabilistic models"): noise the image to a fixed fraction of the forward process (`anomaly_t`, 0.25
  by default: t = 250 of 1000 as AnoDDPM), denoise, and score the squared error against the input. What
  the model learned comes back; what it never saw is replaced by something it did.

`noise_sigma` is Donoho & Johnstone's (1994) estimator: the median absolute value of the finest diagonal
Haar wavelet coefficients over 0.6745 (the median of |N(0, 1)|): image structure is sparse there, noise
is not. Noise clipped at 0 and 1 (a black background under additive noise) is underestimated, so such
images are restored from a little less noise than they carry.
"""

from __future__ import annotations

import math

import torch

MAD_TO_SIGMA = 0.6745  # the median of |N(0, 1)|


def noise_sigma(x: torch.Tensor) -> torch.Tensor:
    """Per-image noise standard deviation of images `x` (N x C x H x W, pixels in [0, 1]) by Donoho &
    Johnstone's MAD of the finest diagonal Haar coefficients (an odd last row or column is left out).

    >>> g = torch.Generator().manual_seed(0)
    >>> flat = 0.5 + 0.1 * torch.randn(2, 1, 64, 64, generator=g)
    >>> [round(v, 2) for v in noise_sigma(flat).tolist()]
    [0.1, 0.1]
    """
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    if h == 0 or w == 0:
        return torch.zeros(len(x), dtype=x.dtype, device=x.device)
    x = x[..., :h, :w].float()
    a, b = x[..., 0::2, 0::2], x[..., 0::2, 1::2]
    c, d = x[..., 1::2, 0::2], x[..., 1::2, 1::2]
    hh = (a - b - c + d) / 2.0  # orthonormal: iid noise of std s gives coefficients of std s
    return hh.flatten(1).abs().median(dim=1).values / MAD_TO_SIGMA


def start_steps(timesteps: torch.Tensor, alphas_cumprod: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """For each image, the index into the sampler's `timesteps` (descending) of the step to start from: the
    last (least noisy) step whose noise-to-signal ratio (1 - abar_t) / abar_t is at least `noise`^2 (noise
    std on the model's [-1, 1] scale); the first step (pure noise) when no step has that much."""
    abar = alphas_cumprod.double()[timesteps.long()]
    ratio = (1.0 - abar) / abar  # decreasing along the descending timesteps
    enough = ratio[None, :] >= noise.double()[:, None] ** 2
    # index of the last True in each row: (the count of True) - 1 since `ratio` is monotone; 0 when none
    return (enough.sum(dim=1) - 1).clamp(min=0)


def noised_to(
    x: torch.Tensor, noise: torch.Tensor, abar: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """x_t for images `x` (model scale) that already carry Gaussian noise of std `noise`: sqrt(abar) x plus
    fresh noise of variance 1 - abar - abar noise^2, so the total is the forward process's 1 - abar."""
    from ganvae.nn.noise import seeded

    abar = abar.to(x.device, torch.float64)
    top_up = (1.0 - abar - abar * noise.to(x.device, torch.float64) ** 2).clamp(min=0.0)
    eps = seeded(torch.randn, tuple(x.shape), generator, x.device)
    view = (-1,) + (1,) * (x.dim() - 1)
    return (abar.sqrt().view(view) * x.double() + top_up.sqrt().view(view) * eps.double()).to(x.dtype)


def partial_step_for(fraction: float, timesteps: torch.Tensor, total: int) -> int:
    """The index into the sampler's descending `timesteps` of the step nearest `fraction` of the forward
    process (t = fraction x (total - 1))."""
    target = fraction * (total - 1)
    return int((timesteps.double() - target).abs().argmin())


def check_fraction(value: float, name: str) -> None:
    from ganvae.errors import ConfigError

    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise ConfigError(f"{name} must lie in (0, 1] (a fraction of the forward process), not {value!r}")
