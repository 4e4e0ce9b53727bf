"""An image-to-image network built from the shared conv encoder and decoder (`ganvae.nn.conv`).

The translators' generators (CycleGAN's two, `ganvae.models.cyclegan`) are the VAE's encoder and decoder
joined by a flat code of `latent_dim` numbers: image in, image out. Zhu et al. (2017) use a fully
convolutional ResNet generator instead; here every arm of `ganvae task translate` (CycleGAN, UNIT, the
conditional VAE) is made of the same encoder and decoder sized from the data, so the arms differ in their
objectives, not in their networks. A flat code keeps less fine detail than a spatial one, for every arm.

>>> import torch
>>> net = ImageToImage((1, 8, 8), width=8, latent_dim=4)
>>> net(torch.rand(2, 1, 8, 8)).shape
torch.Size([2, 1, 8, 8])
"""

from __future__ import annotations

import torch
from torch import nn

from ganvae.nn.conv import ConvDecoder, ConvEncoder


class ImageToImage(nn.Module):
    """ConvEncoder -> Linear to a flat code -> ConvDecoder; the raw output (the model applies Tanh)."""

    def __init__(self, shape: tuple[int, int, int], width: int, latent_dim: int):
        super().__init__()
        self.encoder = ConvEncoder(shape, width, norm="batch")
        self.code = nn.Linear(self.encoder.out_dim, latent_dim)
        self.decoder = ConvDecoder(latent_dim, shape, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.code(self.encoder(x)))
