"""What the image-to-image models share (capability "upscale" today; "translate" may follow): they train
through the one loop on ordinary images and make their own inputs from each batch, and they map a given
image to another rather than drawing samples (no "sample" capability: the loop draws no sample grids
for them, and `ganvae sample` refuses them).

Kept as parts to compose, not a base class (models inherit one level only, DESIGN.md):

- `check_scale`: the shapes a super-resolution model can be built for (one clear line otherwise);
- `Upscaler`: bicubic upsampling plus a learned residual (`ganvae.nn.srnet.SRTrunk`), optionally fed
  extra input maps (the conditional VAE's latent code);
- `content_loss`: the per-pixel loss of the regression network and of SRGAN's content term;
- `in_batches`: apply an image-to-image function to many images a batch at a time, on the CPU.

>>> check_scale((1, 8, 8), 2)
(1, 4, 4)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganvae.errors import ConfigError
from ganvae.nn.bicubic import upsample
from ganvae.nn.srnet import SRTrunk, auto_blocks

SCALES = (2, 4)
# the smallest low-resolution side: below 4 pixels an input holds almost nothing to upscale from, and
# SSIM and the sharpness measure need 3 pixels of the output
MIN_LR_SIDE = 4
ContentLoss = Literal["l1", "mse"]


def check_scale(shape: tuple[int, ...], scale: int) -> tuple[int, int, int]:
    """The low-resolution shape (C, H/scale, W/scale) of high-resolution images of `shape`; a
    ConfigError when `scale` is not one of SCALES, does not divide H and W, or leaves an input side
    under MIN_LR_SIDE pixels."""
    if scale not in SCALES:
        raise ConfigError(f"scale {scale} is not supported; use {' or '.join(map(str, SCALES))}")
    c, h, w = (int(s) for s in shape)
    if h % scale or w % scale:
        raise ConfigError(
            f"scale {scale} does not divide the image size {h}x{w}; use a scale that divides it or "
            f"resize the images (--image-size, e.g. {h - h % scale or scale * MIN_LR_SIDE})"
        )
    if min(h, w) // scale < MIN_LR_SIDE:
        raise ConfigError(
            f"{h}x{w} images at scale {scale} give {h // scale}x{w // scale} low-resolution inputs; the "
            f"smallest is {MIN_LR_SIDE}x{MIN_LR_SIDE}: use a smaller scale or larger images (--image-size)"
        )
    return c, h // scale, w // scale


class Upscaler(nn.Module):
    """Low-resolution image (plus `extra` maps at its size) -> the bicubic upsampling plus a residual
    from the SR trunk; unclamped, so the loss has gradients everywhere (`to_image` clamps)."""

    def __init__(self, shape, scale: int, width: int, blocks: int, extra_channels: int = 0):
        super().__init__()
        c, h, w = check_scale(shape, scale)
        self.scale, self.extra_channels = scale, extra_channels
        self.blocks = blocks or auto_blocks(h, w)
        self.trunk = SRTrunk(c + extra_channels, c, scale, width, self.blocks)

    def forward(self, lr: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        x = lr if extra is None else torch.cat([lr, extra], dim=1)
        return upsample(lr, self.scale) + self.trunk(x)


def to_image(raw: torch.Tensor) -> torch.Tensor:
    return raw.clamp(0.0, 1.0)


def content_loss(out: torch.Tensor, target: torch.Tensor, kind: ContentLoss) -> torch.Tensor:
    """Mean absolute (l1) or squared (mse) pixel error."""
    return F.l1_loss(out, target) if kind == "l1" else F.mse_loss(out, target)


BATCH = 256  # images per forward pass when applying a model to many


@torch.no_grad()
def in_batches(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, batch: int = BATCH):
    """`fn` applied to `x` a batch at a time; the results concatenated on the CPU."""
    return torch.cat([fn(x[i : i + batch]).cpu() for i in range(0, len(x), batch)])
