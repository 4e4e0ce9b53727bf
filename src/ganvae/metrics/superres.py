"""The figures of super-resolution, on both axes of the perception-distortion plane (Blau & Michaeli
2018, "The perception-distortion tradeoff"): no upscaler can be both as faithful to the truth as
possible and as realistic as possible, so each output is measured on both.

- distortion: PSNR and SSIM of the output against the true high-resolution image
  (`metrics.reconstruction`, per image, then averaged);
- perception: FD (domain features) of the outputs against real high-resolution images, and the
  sharpness ratio of the outputs to the true images (1 = as sharp as real, `metrics.sharpness`);
- consistency: PSNR of the output, downsampled the way the inputs were made, against the input — an
  output that explains its input scores high whatever detail it invents (a known-answer: the truth
  itself scores as high as the downsampling allows; SRFlow, Lugmayr et al. 2020, reports the same
  "LR-PSNR");
- diversity: the pixel variance of several outputs for one input (`metrics.latent.decode_variance`;
  0 for a deterministic upscaler).

>>> import torch
>>> hr = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
>>> from ganvae.nn.bicubic import downsample
>>> bool(consistency_psnr(downsample(hr, 2), hr, 2).min() == 100.0)
True
"""

from __future__ import annotations

import torch

from ganvae.metrics.checks import ArrayLike, as_images
from ganvae.metrics.meta import declare
from ganvae.metrics.reconstruction import psnr_per_image

declare("sr_psnr", "PSNR against the truth", better="higher", unit="dB")
declare("sr_ssim", "SSIM against the truth", better="higher", bounds=(-1.0, 1.0))
declare("sr_sharpness_ratio", "output sharpness / truth", ideal=1.0, scale="log", bounds=(0.0, None))
declare("consistency_psnr", "PSNR of the downsampled output against the input", better="higher", unit="dB")


def consistency_psnr(low: ArrayLike, output: ArrayLike, scale: int) -> torch.Tensor:
    """Per-image PSNR (dB) of `output` downsampled by `scale` (antialiased bicubic, as the inputs were
    made) against the low-resolution input `low`; shape (N,)."""
    from ganvae.nn.bicubic import downsample

    out = as_images(output, "output").clamp(0.0, 1.0)
    return psnr_per_image(low, downsample(out, scale))
