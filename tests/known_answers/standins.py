"""Stand-in generative models whose right verdicts are known: they copy, blur, collapse, add noise or are
perfect (return held-out real images). They implement what the evaluation calls (sample, encode, decode,
and for the VAE family posterior draws), with codes = pixels, so every figure of `evaluate_model` runs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def blur(x: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Gaussian blur (3x3 kernel, reflect padding): a model that can only make blurry images."""
    r = torch.arange(-1.0, 2.0)
    k1 = torch.exp(-(r**2) / (2 * sigma**2))
    k = (k1[:, None] * k1[None, :]) / k1.sum() ** 2
    c = x.shape[1]
    padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
    return F.conv2d(padded, k.expand(c, 1, 3, 3).contiguous(), groups=c)


class StandIn(nn.Module):
    """Draws images from `pool` (seeded by its own `seed`, as a model trained with that seed would
    differ), passed through `kind`'s transform; decodes codes (flattened pixels) the same way."""

    num_classes = 0
    capabilities = frozenset({"sample", "encode", "decode", "reconstruct"})  # as `GenerativeModel` declares

    def __init__(self, kind: str, family: str, pool: torch.Tensor, seed: int, noise: float = 0.3):
        super().__init__()
        self.kind, self.family, self.pool, self.noise = kind, family, pool, noise
        self.image_shape = tuple(pool.shape[1:])
        self.rng = torch.Generator().manual_seed(1000 + seed)

    def _transform(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "blur":
            return blur(x)
        if self.kind == "noise":
            return (x + self.noise * torch.randn(x.shape, generator=self.rng)).clamp(0, 1)
        if self.kind == "speckle":  # unusable: each pixel drawn from its own law, no structure at all
            mean, std = self.pool.mean(0), self.pool.std(0)
            return (mean + std * torch.randn(x.shape, generator=self.rng)).clamp(0, 1)
        return x

    def sample(self, n, *, labels=None, generator=None):
        idx = torch.randint(len(self.pool), (n,), generator=self.rng)
        return self._transform(self.pool[idx])

    def encode(self, x, labels=None):
        return x.flatten(1).clone()

    def decode(self, z, *, labels=None):
        return self._transform(z.view(-1, *self.image_shape).clamp(0, 1))

    def interpolate(self, za, zb, t):  # the base class's straight line (`GenerativeModel.interpolate`)
        return za * (1 - t) + zb * t

    def parts(self):
        return {}


class StochasticStandIn(StandIn):
    """The VAE family's stand-in: several decodes of one input differ (posterior draws, sigma 0.05)."""

    def reconstruct_samples(self, x, k, labels=None, generator=None):
        z = self.encode(x)
        return torch.stack(
            [self.decode(z + 0.05 * torch.randn(z.shape, generator=generator)) for _ in range(k)]
        )
