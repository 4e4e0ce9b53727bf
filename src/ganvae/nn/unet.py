"""The diffusion model's denoiser: Hugging Face diffusers' `UNet2DModel` built from a config sized from the
data (never downloaded: no weights are fetched, only the class is used).

The UNet halves the resolution between its levels, so each side must divide by 2^(levels-1). `UNetPlan`
picks the levels from the image size (halving while the smallest side stays >= 4, at most 4 levels: 8 x 8
digits get 2 levels, 28 x 28 gets 3, 32 x 32 gets 4) and pads an image whose sides do not divide to the
next size that does (25 x 25 -> 28 x 28 at 3 levels), replicating its edge rows and columns as
`nn/conv.Plan` does for the GANs and VAEs; the model crops its samples back. Channels double per level
from `width` (width 32: 32, 64, 128 ...), as the DCGAN-style nets of `nn/conv.py` do.

diffusers is imported only when a UNet is built, so `import ganvae` does not pay for it (nor need it).

>>> UNetPlan.for_shape((1, 25, 25), width=32).grid
(28, 28)
>>> UNetPlan.for_shape((1, 8, 8), width=32).channels
(32, 64)
"""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass

import torch
from torch import nn

from ganvae.errors import ConfigError

INSTALL = "pip install 'ganvae[diffusion]'"


def require_diffusers(name: str = "ddpm") -> None:
    """One clear line when diffusers is not installed (checked without importing it)."""
    if importlib.util.find_spec("diffusers") is None:
        raise ConfigError(f"{name} needs the diffusers package, which is not installed; {INSTALL}")


@dataclass(frozen=True)
class UNetPlan:
    """Levels, channels and the working grid of a UNet for C x H x W images."""

    shape: tuple[int, int, int]
    channels: tuple[int, ...]  # per level, full resolution first
    grid: tuple[int, int]  # the padded size the UNet works at (>= the image's)

    MAX_LEVELS = 4
    MIN_SIDE = 4  # the smallest feature map the deepest level may reach

    @classmethod
    def for_shape(cls, shape: tuple[int, int, int], width: int, max_levels: int = MAX_LEVELS) -> UNetPlan:
        _, h, w = shape
        levels = 1
        while levels < max_levels and min(h, w) // (1 << levels) >= cls.MIN_SIDE:
            levels += 1
        k = 1 << (levels - 1)
        grid = (-(-h // k) * k, -(-w // k) * k)
        channels = tuple(width * 2**i for i in range(levels))
        return cls(tuple(int(s) for s in shape), channels, grid)  # type: ignore[arg-type]

    @property
    def groups(self) -> int:
        """GroupNorm groups: diffusers' 32 does not divide small widths (8, 16); 8 or fewer always do."""
        return math.gcd(self.channels[0], 8)

    def margins(self) -> tuple[int, int, int, int]:
        dh, dw = self.grid[0] - self.shape[1], self.grid[1] - self.shape[2]
        return dh // 2, dh - dh // 2, dw // 2, dw - dw // 2

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom, left, right = self.margins()
        if not (top or bottom or left or right):
            return x
        return nn.functional.pad(x, (left, right, top, bottom), mode="replicate")

    def crop(self, x: torch.Tensor) -> torch.Tensor:
        top, _, left, _ = self.margins()
        return x[..., top : top + self.shape[1], left : left + self.shape[2]]


def build_unet(plan: UNetPlan, layers_per_block: int = 1, num_class_embeds: int = 0) -> nn.Module:
    """A randomly initialised `UNet2DModel` for `plan`: residual blocks at each level, self-attention in the
    middle block only (at the lowest resolution, where it is cheap), a class embedding added to the time
    embedding when `num_class_embeds` > 0."""
    require_diffusers()
    # nothing here touches the Hub (the UNet is built from a config), but never let an import reach out
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from diffusers import UNet2DModel

    levels = len(plan.channels)
    return UNet2DModel(
        sample_size=plan.grid,
        in_channels=plan.shape[0],
        out_channels=plan.shape[0],
        block_out_channels=plan.channels,
        down_block_types=("DownBlock2D",) * levels,
        up_block_types=("UpBlock2D",) * levels,
        layers_per_block=layers_per_block,
        norm_num_groups=plan.groups,
        attention_head_dim=min(8, plan.channels[-1]),
        num_class_embeds=num_class_embeds or None,
    )
