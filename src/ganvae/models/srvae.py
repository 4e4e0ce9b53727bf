"""Super-resolution by a conditional VAE (Sohn et al. 2015, "Learning structured output representation
using deep conditional generative models"): the condition is the low-resolution image, and a latent
code holds what the input does not say about the truth, so one input has several plausible outputs.

- The code is a map of `latent_channels` at the low resolution (fully convolutional, like the other SR
  arms: a trained model upscales an image of any size), with prior N(0, I).
- The encoder q(z | truth, input) sees the high-resolution image rearranged to the low resolution (pixel
  unshuffle) beside the input: the SR trunk at scale 1.
- The decoder p(truth | z, input) is the same `Upscaler` as the regression and adversarial networks, fed
  the code as extra input maps (matched capacity).
- The likelihood is a Laplace distribution (the L1 loss of the regression arm, made a density) whose scale
  is the batch's maximum-likelihood value b = mean |error| while training and its running average after:
  the L1 counterpart of the "optimal σ" Gaussian VAE (Rybkin et al. 2021, as `models/vae.py`), so the
  KL term is balanced against the reconstruction without hand-tuning.

`upscale` decodes a code drawn from the prior (scaled by `temperature`, a sampling-only setting: 0 gives
the decoder's output at the prior's mean), so each call with another random generator gives another
plausible output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.paired import SCALES, Upscaler, check_scale, to_image
from ganvae.nn.bicubic import downsample
from ganvae.nn.noise import seeded
from ganvae.nn.srnet import SRTrunk
from ganvae.search_space import Param


@dataclass
class SRVAEConfig:
    scale: int = 2
    width: int = 32
    blocks: int = 0  # residual blocks of encoder and decoder; 0 = from the low-resolution size
    lr: float = 3e-4
    latent_channels: int = 4  # channels of the latent map (at the low resolution)
    beta: float = 1.0
    kl_warmup: int = 0  # steps over which β rises linearly from 0 (KL annealing); 0 = none
    temperature: float = 1.0  # std of the codes `upscale` draws (sampling only)
    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 1e-4, 1e-3),
        "latent_channels": Param("categorical", choices=(2, 4, 8)),
        "beta": Param("log", 0.25, 4.0),
        "temperature": Param("categorical", choices=(0.5, 1.0)),
    }

    def validate(self) -> None:
        if self.scale not in SCALES:
            raise ConfigError(f"scale must be {' or '.join(map(str, SCALES))}, not {self.scale}")
        if self.width < 1 or self.blocks < 0 or self.latent_channels < 1:
            raise ConfigError("width and latent_channels must be positive integers, blocks >= 0")
        if self.lr <= 0 or self.beta < 0 or self.kl_warmup < 0:
            raise ConfigError("lr must be positive, beta and kl_warmup >= 0")
        if self.temperature < 0:
            raise ConfigError("temperature must be >= 0 (0 decodes the prior's mean)")


class SRVAE(GenerativeModel):
    """A conditional VAE that upscales: several plausible outputs per input.

    >>> m = SRVAE(SRVAEConfig(width=8), (1, 8, 8))
    >>> tuple(m.upscale(torch.rand(2, 1, 4, 4)).shape)
    (2, 1, 8, 8)
    """

    capabilities = frozenset({"upscale"})
    config_class = SRVAEConfig
    family = "vae"
    sampling_settings = frozenset({"temperature"})

    def __init__(self, config: SRVAEConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, 0)
        s, k = config.scale, config.latent_channels
        self.lr_shape = check_scale(self.shape, s)
        self.decoder = Upscaler(self.shape, s, config.width, config.blocks, extra_channels=k)
        c = self.shape[0]
        self.encoder = SRTrunk(c * s * s + c, 2 * k, 1, config.width, self.decoder.blocks)
        # log b of the Laplace likelihood: the batch optimum while training, its running average after
        self.register_buffer("log_scale", torch.zeros(()))

    # ---- networks --------------------------------------------------------------------------------
    def posterior(self, x: torch.Tensor, lr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance maps of q(z | x, lr), each N x latent_channels x h x w."""
        h = torch.cat([F.pixel_unshuffle(x, self.config.scale), lr], dim=1)
        mu, logvar = self.encoder(h).chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)  # exp() must not overflow early in training

    def neg_log_likelihood(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x | z, lr) per image under the Laplace likelihood, summed over pixels (nats)."""
        err = (x - raw).abs()
        if self.training:
            log_b = err.mean().clamp(min=math.exp(-6.0)).log()  # the maximum-likelihood scale, floored
            with torch.no_grad():
                self.log_scale.lerp_(log_b.detach().float(), 0.1)
        else:
            log_b = self.log_scale
        return (err / log_b.exp() + log_b + math.log(2.0)).flatten(1).sum(1)

    @staticmethod
    def kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q(z | x, lr) || N(0, I)) per image, closed form."""
        return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(1)

    # ---- training ----------------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": self.adam(self.parameters(), lr=self.config.lr)}

    def beta_at(self, step: int) -> float:
        warm = self.config.kl_warmup
        return self.config.beta * (min(1.0, (step + 1) / warm) if warm else 1.0)

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        lr = downsample(x, self.config.scale)
        mu, logvar = self.posterior(x, lr)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        nll, kl = self.neg_log_likelihood(self.decoder(lr, z), x), self.kl(mu, logvar)
        loss = (nll + self.beta_at(step) * kl).mean()
        opt.step("vae", loss)
        return {"loss": loss.detach(), "nll": nll.mean().detach(), "kl": kl.mean().detach()}

    # ---- the interface -----------------------------------------------------------------------------
    def code(self, lr: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A code map drawn from the prior for inputs `lr`, scaled by the temperature."""
        n, _, h, w = lr.shape
        shape = (n, self.config.latent_channels, h, w)
        return self.config.temperature * seeded(torch.randn, shape, generator, self.device)

    @torch.no_grad()
    def upscale(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Low-resolution images in [0, 1] -> one plausible high-resolution image each, in [0, 1]."""
        x = x.float().to(self.device)
        return to_image(self.decoder(x, self.code(x, generator)))

    @torch.no_grad()
    def reconstruct_pair(self, x: torch.Tensor) -> torch.Tensor:
        """The decoder's output at the posterior mean of the true image `x` (what the code can carry)."""
        x = x.float().to(self.device)
        lr = downsample(x, self.config.scale)
        return to_image(self.decoder(lr, self.posterior(x, lr)[0]))

    def parts(self):
        def lr_batch(b: int) -> torch.Tensor:
            return torch.rand(b, *self.lr_shape, device=self.device)

        def encode(b: int):
            return self.posterior(torch.rand(b, *self.shape, device=self.device), lr_batch(b))

        def decode(b: int):
            lr = lr_batch(b)
            return self.decoder(lr, self.code(lr))

        return {"encoder": ([self.encoder], encode), "decoder": ([self.decoder], decode)}
