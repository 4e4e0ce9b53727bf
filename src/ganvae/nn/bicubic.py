"""Bicubic resizing for super-resolution: how low-resolution inputs are made, and the baseline upsampler.

Low-resolution images are made from high-resolution ones by **antialiased** bicubic downsampling
(`torch.nn.functional.interpolate(mode="bicubic", antialias=True)`, which matches PIL's `Image.BICUBIC`
resize): the usual degradation of SR benchmarks (MATLAB's `imresize`, as in SRCNN and SRGAN). Without the
antialiasing filter, downsampling aliases (a 4x stride skips three of every four rows), and a model would
learn to undo aliasing rather than blur. Upsampling has nothing to alias, so it is plain bicubic.

Bicubic interpolation overshoots at edges; the images a user would see or score are clamped to [0, 1]
(`clamp=True`). The networks add their residual to the unclamped upsampling, so no gradient is lost at the
clamp.

>>> x = torch.rand(2, 1, 8, 8)
>>> tuple(downsample(x, 2).shape), tuple(upsample(downsample(x, 2), 2).shape)
((2, 1, 4, 4), (2, 1, 8, 8))
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def downsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """N x C x H x W in [0, 1] -> N x C x H/scale x W/scale, antialiased bicubic, clamped to [0, 1]."""
    h, w = x.shape[-2:]
    small = F.interpolate(
        x.float(), size=(h // scale, w // scale), mode="bicubic", antialias=True, align_corners=False
    )
    return small.clamp(0.0, 1.0)


def upsample(x: torch.Tensor, scale: int, *, clamp: bool = False) -> torch.Tensor:
    """N x C x h x w -> N x C x h*scale x w*scale by bicubic interpolation (`clamp`: to [0, 1])."""
    h, w = x.shape[-2:]
    big = F.interpolate(x.float(), size=(h * scale, w * scale), mode="bicubic", align_corners=False)
    return big.clamp(0.0, 1.0) if clamp else big


def nearest(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Each pixel repeated scale x scale times: how a low-resolution image is shown beside larger ones."""
    return x.repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)
