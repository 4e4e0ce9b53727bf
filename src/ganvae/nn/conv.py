"""The conv encoder and decoder shared by both families, sized from the data's shape.

Matched capacity is the point: the VAE decoder and the GAN generator are the *same* `ConvDecoder`; the
VAE encoder and the GAN discriminator are the *same* `ConvEncoder` trunk with a different head. The layout
follows DCGAN (Radford et al. 2016): stride-2 (transposed) 4x4 convolutions that double / halve the
resolution, BatchNorm + ReLU in the decoder, LeakyReLU(0.2) in the encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

Norm = Literal["batch", "layer", "none"]


@dataclass(frozen=True)
class Plan:
    """How a C x H x W image is reached from a small base grid by doubling.

    >>> Plan.for_shape((1, 28, 28), width=32).channels
    (128, 64, 32)
    """

    shape: tuple[int, int, int]
    base: tuple[int, int]
    channels: tuple[int, ...]  # from the base grid (widest) to full resolution (narrowest)

    @property
    def stages(self) -> int:
        return len(self.channels) - 1

    @classmethod
    def for_shape(cls, shape: tuple[int, int, int], width: int, max_stages: int = 5) -> Plan:
        # Halve while both sides stay even and >= 4 after halving: 28 -> 14 -> 7, 32 -> 16 -> 8 -> 4,
        # 8 -> 4, 64 -> 4. Odd sizes keep their full grid (fewer stages, a larger first layer).
        _, h, w = shape
        stages = 0
        while stages < max_stages and h % 2 == 0 and w % 2 == 0 and h // 2 >= 4 and w // 2 >= 4:
            h, w, stages = h // 2, w // 2, stages + 1
        channels = tuple(width * 2 ** (stages - i) for i in range(stages + 1))
        return cls(tuple(shape), (h, w), channels)  # type: ignore[arg-type]


def _norm2d(kind: Norm, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        # GroupNorm with one group normalises each sample on its own: a layer norm for feature maps,
        # the choice of Gulrajani et al. 2017 for WGAN-GP critics (batch norm breaks the per-sample penalty).
        return nn.GroupNorm(1, channels)
    return nn.Identity()


class ConvDecoder(nn.Module):
    """z (+ one-hot label) -> raw image-shaped output (the model applies Tanh / sigmoid / identity)."""

    def __init__(self, latent_dim: int, shape: tuple[int, int, int], width: int = 32, num_classes: int = 0):
        super().__init__()
        self.plan = Plan.for_shape(shape, width)
        self.num_classes = num_classes
        c0 = self.plan.channels[0]
        bh, bw = self.plan.base
        self.project = nn.Sequential(
            nn.Linear(latent_dim + num_classes, c0 * bh * bw, bias=False),
            nn.Unflatten(1, (c0, bh, bw)),
            nn.BatchNorm2d(c0),
            nn.ReLU(inplace=True),
        )
        blocks: list[nn.Module] = []
        for cin, cout in zip(self.plan.channels, self.plan.channels[1:], strict=False):
            blocks += [
                nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(self.plan.channels[-1], shape[0], 3, padding=1)

    def forward(self, z: torch.Tensor, onehot: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes:
            z = torch.cat([z, onehot], dim=1)  # type: ignore[list-item]
        return self.out(self.blocks(self.project(z)))


class ConvEncoder(nn.Module):
    """Image -> flat feature vector (the mirror of ConvDecoder); heads live in the models."""

    def __init__(
        self, shape: tuple[int, int, int], width: int = 32, norm: Norm = "batch", spectral_norm: bool = False
    ):
        super().__init__()
        self.plan = Plan.for_shape(shape, width)
        wrap = _sn if spectral_norm else (lambda m: m)
        chans = self.plan.channels[::-1]  # narrow at full resolution -> wide at the base grid
        layers: list[nn.Module] = [wrap(nn.Conv2d(shape[0], chans[0], 3, padding=1)), nn.LeakyReLU(0.2, True)]
        for cin, cout in zip(chans, chans[1:], strict=False):
            layers += [
                wrap(nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=norm == "none")),
                _norm2d(norm, cout),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        layers.append(nn.Flatten())
        self.net = nn.Sequential(*layers)
        bh, bw = self.plan.base
        self.out_dim = chans[-1] * bh * bw

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
