"""What unpaired translation is judged by (`ganvae task translate`), per translated batch:

- **target share**: the share of translations that a classifier trained on the two domains (their
  training split only) assigns to the target domain: did the output leave the source domain?
- **FD to the target** (the existing "fd", `ganvae.metrics.frechet`): Fréchet distance between the
  features of the translations and of real target test images: does the output look like the target?
- **content kept**: SSIM (Wang et al. 2004, `ganvae.metrics.reconstruction`) between each input and its
  translation: how much of the input's structure survives;
- **cycle PSNR**: PSNR between each input and its translation translated back (the cycle consistency of
  Zhu et al. 2017): can the input be recovered from the output?

The first two reward reaching the target, the last two keeping the input; a translation must do both
(an identity map keeps everything and reaches nothing; returning a random target image reaches the target
and keeps nothing), so the report shows all four.

>>> import torch
>>> target_share(torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]), target=1)
0.6666666666666666
"""

from __future__ import annotations

import torch

from ganvae.metrics.meta import declare

TARGET_SHARE = declare(
    "target_share",
    "share of translations classified as the target domain",
    better="higher",
    bounds=(0.0, 1.0),
)
CONTENT_SSIM = declare(
    "content_ssim", "content kept: SSIM between input and translation", better="higher", bounds=(-1.0, 1.0)
)
CYCLE_PSNR = declare(
    "cycle_psnr", "cycle reconstruction PSNR (input → translation → back)", better="higher", unit="dB"
)


def target_share(probabilities: torch.Tensor, target: int) -> float:
    """Share of rows of a classifier's N x K class probabilities whose most likely class is `target`."""
    if len(probabilities) == 0:
        return float("nan")
    return float((probabilities.argmax(dim=1) == target).double().mean())


def content_ssim(inputs: torch.Tensor, outputs: torch.Tensor) -> float:
    """Mean SSIM between each input and its translation (images in [0, 1])."""
    from ganvae.metrics.reconstruction import ssim_per_image

    return float(ssim_per_image(inputs, outputs).mean())


def cycle_psnr(inputs: torch.Tensor, cycled: torch.Tensor) -> float:
    """Mean PSNR (dB) between each input and its translation translated back."""
    from ganvae.metrics.reconstruction import psnr_per_image

    return float(psnr_per_image(inputs, cycled).mean())
