"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

A discriminator trained on few images memorises them and stops teaching the generator. DiffAugment
augments every image the discriminator sees, real and fake alike and with the same policy, by transforms
that are differentiable, so the generator's gradient flows back through them. The policies and their
strengths are the paper's (its reference code, `DiffAugment_pytorch.py`):

- color: brightness + U(-0.5, 0.5); saturation (3-channel images only) x (0..2) around the pixel's
  channel mean; contrast x (0.5..1.5) around the image mean
- translation: a shift of up to 1/8 of each side, in whole pixels, zero fill
- cutout: a zeroed rectangle of half of each side, centred anywhere (clipped at the border)

With a probability p < 1 (ADA, Karras et al. 2020; `nn/ada.py` adapts it) each op is applied to each image
independently with probability p and the image passes that op unchanged otherwise; p = 1 is DiffAugment as
published (every op on every image), p = 0 the identity.

The transforms work on images of any C x H x W in [-1, 1] or [0, 1] (the GAN uses [-1, 1], as the paper).
Every random number comes from `draw` (torch's generator: seeded runs repeat exactly): one call for the
ops' parameters, a uniform per image and per parameter, then, when 0 < p < 1, one for the mask, a
uniform per image and per op. So p = 1 draws exactly what DiffAugment always drew, and p = 0 draws
nothing (a run whose p stays 0 is the run without augmentation, bit for bit).

>>> x = torch.zeros(2, 1, 8, 8)
>>> diff_augment(x, ("translation", "cutout"), torch.Generator().manual_seed(0)).shape
torch.Size([2, 1, 8, 8])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganvae.errors import ConfigError
from ganvae.nn.noise import seeded

FULL = ("color", "translation", "cutout")  # the paper's full policy: what diffaug=ada adapts
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def draw(n: int, k: int, device: torch.device, generator: torch.Generator | None = None) -> torch.Tensor:
    """n x k uniforms on [0, 1): every random number of one `diff_augment` call."""
    return seeded(torch.rand, (n, k), generator, device)


# ---- the transforms, given their parameters (tested against references) ---------------------------------
def translate(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Shift image i by (dy[i], dx[i]) whole pixels with zero fill: out[..., r, c] = x[..., r - dy, c - dx]
    (torch.roll's direction), 0 where that pixel lies outside."""
    n, _, h, w = x.shape
    # index a zero-padded copy: a source row or column outside the image lands on the zero border
    rows = (torch.arange(h, device=x.device) - dy.view(n, 1) + 1).clamp(0, h + 1)
    cols = (torch.arange(w, device=x.device) - dx.view(n, 1) + 1).clamp(0, w + 1)
    padded = F.pad(x, (1, 1, 1, 1)).permute(0, 2, 3, 1)  # N x (H+2) x (W+2) x C
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded[batch, rows.view(n, h, 1), cols.view(n, 1, w)].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, top: torch.Tensor, left: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Zero rows top[i]..top[i]+height-1 x columns left[i]..left[i]+width-1 of image i (all channels); the
    part of the rectangle outside the image is ignored."""
    n, _, h, w = x.shape
    r = torch.arange(h, device=x.device).view(1, h)
    c = torch.arange(w, device=x.device).view(1, w)
    in_rows = (r >= top.view(n, 1)) & (r < top.view(n, 1) + height)
    in_cols = (c >= left.view(n, 1)) & (c < left.view(n, 1) + width)
    keep = ~(in_rows.view(n, 1, h, 1) & in_cols.view(n, 1, 1, w))
    return x * keep.to(x.dtype)


# ---- the random ops of the policies: (x, u) with u the op's uniforms, N x draws -----------------------
def _brightness(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    return x + (u.view(-1, 1, 1, 1) - 0.5).to(x.dtype)


def _saturation(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    if x.shape[1] != 3:  # saturation is a colour property; on 1 channel it would be the identity anyway
        return x
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (2 * u.view(-1, 1, 1, 1)).to(x.dtype) + mean


def _contrast(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (u.view(-1, 1, 1, 1) + 0.5).to(x.dtype) + mean


def _uniform_int(u: torch.Tensor, low: int, high: int) -> torch.Tensor:
    """Integers low..high (both included) from uniforms on [0, 1)."""
    return (low + (u * (high - low + 1)).floor().long()).clamp(max=high)


def _translation(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    sh, sw = int(x.shape[2] * TRANSLATION_RATIO + 0.5), int(x.shape[3] * TRANSLATION_RATIO + 0.5)
    return translate(x, _uniform_int(u[:, 0], -sh, sh), _uniform_int(u[:, 1], -sw, sw))


def cutout_size(h: int, w: int) -> tuple[int, int]:
    """The cutout's rectangle on an H x W image (half of each side, rounded)."""
    return int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)


def _cutout(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    h, w = x.shape[2:]
    ch, cw = cutout_size(h, w)
    # the centre, as the reference draws it: 0..H for an even size, 0..H-1 for an odd one
    cy = _uniform_int(u[:, 0], 0, h - ch % 2)
    cx = _uniform_int(u[:, 1], 0, w - cw % 2)
    return cutout(x, cy - ch // 2, cx - cw // 2, ch, cw)


@dataclass(frozen=True)
class Op:
    draws: int  # uniforms per image
    apply: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


POLICIES: dict[str, tuple[Op, ...]] = {
    "color": (Op(1, _brightness), Op(1, _saturation), Op(1, _contrast)),
    "translation": (Op(2, _translation),),
    "cutout": (Op(2, _cutout),),
}


def parse_policy(text: str) -> tuple[str, ...]:
    """'color,translation' -> ('color', 'translation'); '' or 'none' -> (); 'ada' -> the full policy
    (which the GAN applies with its adaptive probability; 'auto' is settled to ada or none by the model
    from the training split's size before it gets here)."""
    text = text.strip().lower()
    if text in ("", "none"):
        return ()
    if text == "ada":
        return FULL
    names = tuple(p.strip() for p in text.split(","))
    bad = [p for p in names if p not in POLICIES]
    if bad:
        raise ConfigError(
            f"unknown DiffAugment policy {', '.join(map(repr, bad))}; give a comma list of "
            f"{', '.join(POLICIES)}, or none, ada or auto"
        )
    return names


def diff_augment(
    x: torch.Tensor, policy: Sequence[str], generator: torch.Generator | None = None, p: float = 1.0
) -> torch.Tensor:
    """`x` (N x C x H x W) with the ops of `policy` applied in order, each image its own draw; with p < 1
    each op reaches each image with probability p (the others pass it unchanged, gradients included)."""
    ops = [op for name in policy for op in POLICIES[name]]
    if not ops or len(x) == 0 or p <= 0:
        return x
    u = draw(len(x), sum(op.draws for op in ops), x.device, generator)
    # drawn after the ops' parameters, so that those are the same uniforms whatever p is
    applied = draw(len(x), len(ops), x.device, generator) < p if p < 1 else None
    start = 0
    for j, op in enumerate(ops):
        out = op.apply(x, u[:, start : start + op.draws])
        x = out if applied is None else torch.where(applied[:, j].view(-1, 1, 1, 1), out, x)
        start += op.draws
    return x
