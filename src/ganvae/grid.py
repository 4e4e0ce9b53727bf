"""Image grids and PNG/GIF writing.

torchvision's `make_grid` would do, but torchvision has no CPU wheel that works beside the CPU torch
build on these machines (see DATA.md), so this small function is written here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganvae.atomic import atomic_path


def make_grid(
    images: torch.Tensor, nrow: int | None = None, pad: int = 1, pad_value: float = 1.0
) -> np.ndarray:
    """N x C x H x W in [0, 1] -> H' x W' x C uint8 array tiled row by row (C = 1 or 3)."""
    images = images.detach().float().cpu().clamp(0, 1)
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = torch.full((c, rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top : top + h, left : left + w] = images[i]
    return (grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def to_pil(array: np.ndarray, scale: int = 1) -> Image.Image:
    img = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return img


def auto_scale(height: int) -> int:
    """Upscale tiny images (8x8 digits) so a grid is legible; 1 for images >= 64 px."""
    return max(1, 64 // max(height, 1))


def save_grid(
    images: torch.Tensor, path: str | Path, nrow: int | None = None, scale: int | None = None
) -> Path:
    """Write a PNG grid of `images` atomically and return its path."""
    scale = auto_scale(images.shape[-2]) if scale is None else scale
    img = to_pil(make_grid(images, nrow), scale)
    with atomic_path(path, suffix=".png") as tmp:
        img.save(tmp, format="PNG")
    return Path(path)


def save_gif(
    frames: list[torch.Tensor], path: str | Path, duration_ms: int = 80, scale: int | None = None
) -> Path:
    """Write an animated GIF (looping, bouncing back) of frames, each C x H x W or N x C x H x W."""
    pil = []
    for f in frames:
        f = f if f.ndim == 4 else f.unsqueeze(0)
        s = auto_scale(f.shape[-2]) * 2 if scale is None else scale
        pil.append(to_pil(make_grid(f, nrow=len(f), pad=0), s).convert("P"))
    seq = pil + pil[-2:0:-1]
    with atomic_path(path, suffix=".gif") as tmp:
        seq[0].save(tmp, format="GIF", save_all=True, append_images=seq[1:], duration=duration_ms, loop=0)
    return Path(path)
