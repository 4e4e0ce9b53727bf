"""Latent inversion of a generator: find z with G(z) ≈ x (Creswell & Bharath 2018; Lipton & Tripathi 2017).

A GAN has no encoder, so its "code" of an image, its reconstruction and its projection of a noisy image
are all this optimisation. It is approximate (a local optimum) and the results say so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class InversionConfig:
    steps: int = 100
    restarts: int = 2
    lr: float = 0.1
    batch_size: int = 256


def invert(
    generate: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
    target: torch.Tensor,
    latent_dim: int,
    cfg: InversionConfig,
    cond: torch.Tensor | None = None,
    seed: int = 0,
    loss: Loss | None = None,
) -> torch.Tensor:
    """Return z (N x latent_dim) minimising a per-image loss between generate(z, cond) and `target`.

    `generate` must map z (and `cond`, rows aligned with `target`, e.g. one-hot labels) to the target's
    range. `loss(generated, target)` returns one value per image (default: the MSE). Restarts run as one
    batch; the best restart per image wins.
    """
    codes = []
    gen = torch.Generator().manual_seed(seed)
    for start in range(0, len(target), cfg.batch_size):
        x = target[start : start + cfg.batch_size]
        c = cond[start : start + cfg.batch_size] if cond is not None else None
        codes.append(_invert_batch(generate, x, c, latent_dim, cfg, gen, loss or mse))
    return torch.cat(codes) if codes else torch.empty(0, latent_dim)


def mse(generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error."""
    return (generated - target).pow(2).flatten(1).mean(1)


def _invert_batch(generate, x, cond, latent_dim: int, cfg: InversionConfig, gen: torch.Generator, loss: Loss):
    n, r = len(x), max(1, cfg.restarts)
    z = torch.randn(r * n, latent_dim, generator=gen).to(x.device).requires_grad_(True)
    xr = x.repeat(r, 1, 1, 1)
    cr = cond.repeat(r, 1) if cond is not None else None
    opt = torch.optim.Adam([z], lr=cfg.lr)
    with torch.enable_grad():
        for _ in range(cfg.steps):
            opt.zero_grad(set_to_none=True)
            err = loss(generate(z, cr), xr)
            err.sum().backward()
            opt.step()
    with torch.no_grad():
        err = loss(generate(z, cr), xr).view(r, n)
        best = err.argmin(0)
        return z.detach().view(r, n, latent_dim)[best, torch.arange(n)]
