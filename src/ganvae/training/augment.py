"""Augmentation of the training batches, the same for every model of a comparison (`--augment`).

Unlike a GAN's DiffAugment (nn/diffaugment.py), which only the discriminator sees and which the generator
must not learn to reproduce, these transforms make *new training images*: every model learns to generate
and reconstruct them. So they are only for transforms under which the data is closed — a mirrored shoe
is still a shoe, a mirrored digit is not a digit — and they are off unless asked for.

- ``flip``: each image mirrored left-right with probability 1/2 (torch's generator: a resumed run, whose
  RNG state is checkpointed, draws the same flips).

>>> import torch
>>> x = torch.arange(4.0).view(1, 1, 1, 4)
>>> AUGMENTS["flip"](x, torch.Generator().manual_seed(1)).flatten().tolist() in ([0, 1, 2, 3], [3, 2, 1, 0])
True
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganvae.errors import ConfigError
from ganvae.nn.noise import seeded


def flip(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image of N x C x H x W `x` left-right with probability 1/2."""
    mirror = seeded(torch.rand, (len(x),), generator, x.device) < 0.5
    return torch.where(mirror.view(-1, 1, 1, 1), x.flip(-1), x)


AUGMENTS: dict[str, Callable[..., torch.Tensor]] = {"flip": flip}


def check_augment(name: str, data_kind: str = "images") -> None:
    """ConfigError for an unknown augmentation, or one asked of data that is not images."""
    if name == "none":
        return
    if name not in AUGMENTS:
        raise ConfigError(f"unknown --augment {name!r}; choose none or {', '.join(AUGMENTS)}")
    if data_kind != "images":
        raise ConfigError(f"--augment {name} mirrors images; {data_kind} data has nothing to mirror: drop it")


def augment_batch(name: str, x: torch.Tensor) -> torch.Tensor:
    """`x` augmented by `name` (unchanged for none, or for rows that are not images)."""
    if name == "none" or x.ndim != 4:
        return x
    return AUGMENTS[name](x)
