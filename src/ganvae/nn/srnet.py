"""The super-resolution trunk shared by every learned SR arm, sized from the data.

The layout is SRResNet, the generator of SRGAN (Ledig et al. 2017, "Photo-realistic single image
super-resolution using a generative adversarial network"), without batch norm, as EDSR (Lim et al. 2017)
found better for SR: a 3x3 convolution, `blocks` residual blocks (conv-PReLU-conv plus a skip), a
convolution and a long skip, then log2(scale) upsampling stages (a convolution to 4x the channels and a
pixel shuffle, Shi et al. 2016), and a 3x3 convolution to the image's channels.

Each upsampling convolution starts from ICNR (Aitken et al. 2017, "Checkerboard artifact free sub-pixel
convolution"): the four output channels a pixel shuffle spreads over one 2x2 block start with the same
kernel, so at initialisation a stage is a convolution followed by nearest-neighbour upsampling. With
independent kernels the four positions of every block start different, and an adversarial loss, which
rewards high-frequency texture, keeps that pattern: the checkerboard seen in SRGAN's first measured grids.

Matched capacity: the adversarial network, the regression network and the conditional VAE's decoder are
this same trunk (the VAE's decoder takes its latent map as extra input channels), so the arms differ in
their objective, not their size. The trunk's output is a residual that the model adds to the bicubic
upsampling of its input (VDSR, Kim et al. 2016): at a few thousand steps a network need only learn the
detail bicubic interpolation misses. It is fully convolutional, so a trained model upscales an image of
any size.

>>> net = SRTrunk(1, 1, scale=2, width=8, blocks=2)
>>> tuple(net(torch.rand(3, 1, 4, 5)).shape)
(3, 1, 8, 10)
"""

from __future__ import annotations

import math

import torch
from torch import nn

MIN_BLOCKS, MAX_BLOCKS = 2, 8


def auto_blocks(lr_height: int, lr_width: int) -> int:
    """Residual blocks for a low-resolution image of that size: each block widens the receptive field by
    4 pixels (two 3x3 convolutions), so about side / 4 blocks let an output pixel see the whole input;
    at least 2, at most 8 (at larger sizes detail is local and depth costs time).

    >>> auto_blocks(4, 4), auto_blocks(7, 7), auto_blocks(14, 14), auto_blocks(64, 64)
    (2, 2, 4, 8)
    """
    return max(MIN_BLOCKS, min(MAX_BLOCKS, math.ceil(min(lr_height, lr_width) / 4)))


@torch.no_grad()
def icnr_(conv: nn.Conv2d, factor: int) -> None:
    """ICNR: give the `factor`**2 output channels that `nn.PixelShuffle(factor)` places in one block the same
    kernel and bias, drawn as PyTorch draws a convolution of the sub-pixel count of outputs. PixelShuffle
    takes channel c * factor**2 + i to position i of channel c's blocks, hence the repeat per channel."""
    r2 = factor * factor
    sub = nn.Conv2d(conv.in_channels, conv.out_channels // r2, conv.kernel_size, padding=conv.padding)
    conv.weight.copy_(sub.weight.repeat_interleave(r2, dim=0))
    if conv.bias is not None:
        conv.bias.copy_(sub.bias.repeat_interleave(r2, dim=0))


class ResidualBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1), nn.PReLU(width), nn.Conv2d(width, width, 3, padding=1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRTrunk(nn.Module):
    """in_channels x h x w -> out_channels x (h*scale) x (w*scale); scale 1 keeps the size (the
    conditional VAE's encoder works at the low resolution)."""

    def __init__(self, in_channels: int, out_channels: int, scale: int, width: int, blocks: int):
        super().__init__()
        if scale < 1 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of 2, got {scale}")
        self.head = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.PReLU(width))
        self.body = nn.Sequential(
            *[ResidualBlock(width) for _ in range(blocks)], nn.Conv2d(width, width, 3, padding=1)
        )
        up: list[nn.Module] = []
        for _ in range(int(math.log2(scale))):
            conv = nn.Conv2d(width, 4 * width, 3, padding=1)
            icnr_(conv, 2)
            up += [conv, nn.PixelShuffle(2), nn.PReLU(width)]
        self.up = nn.Sequential(*up)
        self.tail = nn.Conv2d(width, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return self.tail(self.up(h + self.body(h)))
