"""Is a generator usable at all? Its FD placed between two anchors measured on the same data and at the
same number of samples:

- the **floor**: FD of real training images against the test reference — what a model drawing exactly
  from the data would score at this N (FD is biased upwards at small N, so the floor is not 0);
- the **baseline**: FD of images whose pixels are drawn independently from each pixel's Gaussian over
  the training images (right mean image and per-pixel contrast, no structure at all).

`gap_closed` is the share of the distance from the baseline to the floor, on a log scale, that a model
covers: 0 = no better than independent pixels, 1 = as close as real images, < 0 worse than the baseline.
A verdict between two models that both stay near 0 compares two kinds of noise, so the comparison says
"neither model is usable here" below `USABLE` (measured anchors: on Fashion-MNIST at N = 1,000 a floor of
0.75 and a baseline of 228; dcgan at 5 minutes, FD 24.5, covers 0.39, a VAE sampling its N(0, I) prior,
FD 74, covers 0.20 and draws blotches).

>>> round(gap_closed(10.0, floor=1.0, baseline=100.0), 3)
0.5
"""

from __future__ import annotations

import math

import torch

from ganvae.metrics.meta import declare

declare(
    "fd_gap_closed",
    "FD gap closed (0 = independent pixels, 1 = real images)",
    better="higher",
    bounds=(None, 1.0),
)

USABLE = 0.25
RULE = (
    f"a generator is usable when its FD covers at least {USABLE:.0%} of the way, on a log scale, from "
    "images of independent pixels (each pixel's Gaussian over the training images) to real images (the "
    "FD of training images at the same N)"
)


def gap_closed(fd: float, floor: float, baseline: float) -> float:
    """log(baseline / fd) / log(baseline / floor); NaN when the anchors do not bracket a gap."""
    if not (fd > 0 and 0 < floor < baseline):
        return math.nan
    return math.log(baseline / fd) / math.log(baseline / floor)


def independent_pixels(images: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """n images whose pixels are independent draws of each pixel's Gaussian over `images`, in [0, 1]."""
    mean, std = images.mean(0), images.std(0)
    return (mean + std * torch.randn((n, *mean.shape), generator=generator)).clamp(0.0, 1.0)
