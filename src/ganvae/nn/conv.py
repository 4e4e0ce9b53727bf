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

    Sizes that halve evenly to a base of at most 8 use it exactly (28 -> 14 -> 7, 32 -> ... -> 4, 8 -> 4).
    Others (25 x 25, 37 x 45, 50 x 50) are drawn on the next grid reachable by doubling from a base of 4-8
    (28 x 28, 40 x 48, 56 x 56) and centre-cropped; the encoder pads its input to that grid. Without this an
    odd size had no upsampling stage at all: one linear layer to every pixel (640k weights at 25 x 25,
    width 32) and one 3 x 3 convolution, which made speckle on small folders (issue 21).

    >>> Plan.for_shape((1, 28, 28), width=32).channels
    (128, 64, 32)
    >>> Plan.for_shape((1, 25, 25), width=32).grid
    (28, 28)
    """

    shape: tuple[int, int, int]
    base: tuple[int, int]
    channels: tuple[int, ...]  # from the base grid (widest) to full resolution (narrowest)

    MAX_BASE = 8

    @property
    def stages(self) -> int:
        return len(self.channels) - 1

    @property
    def grid(self) -> tuple[int, int]:
        """The size the networks work at (>= the image's; equal when the image halves evenly)."""
        return self.base[0] << self.stages, self.base[1] << self.stages

    @classmethod
    def for_shape(cls, shape: tuple[int, int, int], width: int, max_stages: int = 5) -> Plan:
        _, h, w = shape
        # exact: halve while both sides stay even and >= 4 after halving
        bh, bw, stages = h, w, 0
        while stages < max_stages and bh % 2 == 0 and bw % 2 == 0 and bh // 2 >= 4 and bw // 2 >= 4:
            bh, bw, stages = bh // 2, bw // 2, stages + 1
        if max(bh, bw) > cls.MAX_BASE:
            # padded: among the stage counts whose base (ceil division) has sides in 4..MAX_BASE, the one
            # with the smallest working grid (the least cropped away), then the most stages
            fits = [
                (-(-h // (1 << k)) * -(-w // (1 << k)) << (2 * k), -k, k)
                for k in range(max_stages + 1)
                if 4 <= -(-h // (1 << k)) <= cls.MAX_BASE and 4 <= -(-w // (1 << k)) <= cls.MAX_BASE
            ]
            if fits:
                stages = min(fits)[2]
                bh, bw = -(-h // (1 << stages)), -(-w // (1 << stages))
        channels = tuple(width * 2 ** (stages - i) for i in range(stages + 1))
        return cls(tuple(shape), (bh, bw), channels)  # type: ignore[arg-type]

    def margins(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) rows and columns between the image and the working grid."""
        gh, gw = self.grid
        dh, dw = gh - self.shape[1], gw - self.shape[2]
        return dh // 2, dh - dh // 2, dw // 2, dw - dw // 2

    def crop(self, x: torch.Tensor) -> torch.Tensor:
        top, _, left, _ = self.margins()
        return x[..., top : top + self.shape[1], left : left + self.shape[2]]

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom, left, right = self.margins()
        if not (top or bottom or left or right):
            return x
        # replicate, not zeros: a zero frame would be an edge every real image has and no sample needs
        return nn.functional.pad(x, (left, right, top, bottom), mode="replicate")


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
        return self.plan.crop(self.out(self.blocks(self.project(z))))


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
        return self.net(self.plan.pad(x))
