"""CycleGAN (Zhu et al. 2017, "Unpaired image-to-image translation using cycle-consistent adversarial
networks"): two generators G: source → target and F: target → source, two discriminators, and

    L = L_GAN(G, D_T) + L_GAN(F, D_S) + λ (|F(G(s)) - s|₁ + |G(F(t)) - t|₁)
        + λ_id λ (|G(t) - t|₁ + |F(s) - s|₁)

with least-squares adversarial losses, λ = 10 (`cycle_weight`) and the identity term at half of it
(`identity_weight` = 0.5), Adam lr 2e-4, β = (0.5, 0.999), as in the paper. Left out: the paper's
history pool of 50 generated images for the discriminators and its linear learning-rate decay.

Each generator is `ganvae.nn.image_to_image.ImageToImage` (the VAE's encoder and decoder joined by a
flat code); each discriminator is the GAN's (`ganvae.models.gan.Discriminator`), so CycleGAN has the
networks of the other arms of `ganvae task translate`, twice over.

>>> import torch
>>> m = CycleGAN(CycleGANConfig(width=8, latent_dim=4), (1, 8, 8), 2)
>>> m.translate(torch.rand(3, 1, 8, 8), to=1).shape
torch.Size([3, 1, 8, 8])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.domains import (
    LastBatch,
    check_two_domains,
    domain_labels,
    domain_rows,
    lsgan_d,
    lsgan_g,
    split_domains,
)
from ganvae.models.gan import Discriminator
from ganvae.nn.conv import Norm
from ganvae.nn.image_to_image import ImageToImage
from ganvae.search_space import Param


@dataclass
class CycleGANConfig:
    latent_dim: int = 32  # the flat code inside each generator (as the VAE's latent)
    width: int = 32
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    cycle_weight: float = 10.0  # λ
    identity_weight: float = 0.5  # the identity loss weighs identity_weight · λ (0 turns it off)
    d_norm: Norm = "batch"

    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 5e-5, 1e-3),
        "cycle_weight": Param("log", 1.0, 30.0),
        "identity_weight": Param("categorical", choices=(0.0, 0.1, 0.5)),
        "latent_dim": Param("categorical", choices=(16, 32, 64)),
        "width": Param("categorical", choices=(16, 32, 64)),
    }

    def validate(self) -> None:
        if self.latent_dim < 1 or self.width < 1:
            raise ConfigError("latent_dim and width must be positive integers")
        if self.lr <= 0:
            raise ConfigError("lr must be positive")
        if self.cycle_weight < 0 or self.identity_weight < 0:
            raise ConfigError("cycle_weight and identity_weight must be >= 0")


class CycleGAN(GenerativeModel):
    """Two generators and two discriminators on two image domains in [0, 1] (internally [-1, 1])."""

    capabilities = frozenset({"translate"})
    labels_on_host = True  # `train_step` splits each batch by domain
    config_class = CycleGANConfig
    family = "gan"
    data_kind = "domains"

    def __init__(self, config: CycleGANConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, num_classes)
        check_two_domains("cyclegan", num_classes)
        self.num_classes = num_classes  # the domains: 0 source, 1 target
        # generators[k] maps the other domain into domain k; discriminators[k] judges domain k
        self.generators = nn.ModuleList(
            [ImageToImage(self.shape, config.width, config.latent_dim) for _ in range(2)]
        )
        self.discriminators = nn.ModuleList(
            [Discriminator(self.shape, config.width, config.d_norm, False, 0) for _ in range(2)]
        )
        self._last = LastBatch()

    def generate(self, x: torch.Tensor, to: int) -> torch.Tensor:
        """Images in [-1, 1] of the other domain mapped into domain `to`, in [-1, 1]."""
        return torch.tanh(self.generators[to](x))

    # ---- training ------------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        betas = (c.beta1, c.beta2)
        return {
            "d": self.adam(self.discriminators.parameters(), lr=c.lr, betas=betas),
            "g": self.adam(self.generators.parameters(), lr=c.lr, betas=betas),
        }

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        a, b = split_domains(x, y)
        if not len(a) or not len(b):  # a batch of one domain only: nothing to translate against
            return {}
        self._last.keep(a, b)
        real = (a * 2.0 - 1.0, b * 2.0 - 1.0)
        fake = (self.generate(real[1], 0), self.generate(real[0], 1))  # fake[k]: translated into domain k
        loss_d = sum(
            lsgan_d(self.discriminators[k](real[k]), self.discriminators[k](fake[k].detach())) for k in (0, 1)
        )
        opt.step("d", loss_d)

        c = self.config
        self.discriminators.requires_grad_(False)  # no weight gradients for D during the G step
        adv = lsgan_g(self.discriminators[0](fake[0])) + lsgan_g(self.discriminators[1](fake[1]))
        # back to where each image came from: fake[1] (from a) -> domain 0, fake[0] (from b) -> domain 1
        cycle = (self.generate(fake[1], 0) - real[0]).abs().mean() + (
            self.generate(fake[0], 1) - real[1]
        ).abs().mean()
        loss_g = adv + c.cycle_weight * cycle
        logs = {"loss_d": loss_d.detach(), "loss_adv": adv.detach(), "loss_cycle": cycle.detach()}
        if c.identity_weight > 0:  # an image already in domain k should pass through generator k unchanged
            identity = (self.generate(real[0], 0) - real[0]).abs().mean() + (
                self.generate(real[1], 1) - real[1]
            ).abs().mean()
            loss_g = loss_g + c.identity_weight * c.cycle_weight * identity
            logs["loss_identity"] = identity.detach()
        opt.step("g", loss_g)
        self.discriminators.requires_grad_(True)
        logs["loss_g"] = loss_g.detach()
        return logs

    # ---- the interface -------------------------------------------------------------------------
    @torch.no_grad()
    def translate(self, x: torch.Tensor, to: int) -> torch.Tensor:
        """Images in [0, 1] of the other domain translated into domain `to`, in [0, 1]."""
        out = self.generate(x.to(self.device).float() * 2.0 - 1.0, int(to))
        return (out + 1.0) / 2.0

    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """Only while training (the loop's grids): translations of images from the latest batch into
        the domains `labels` asks for. CycleGAN has no prior to draw from."""
        wanted = domain_labels(labels, n, generator)
        x, wanted = self._last.inputs_for("cyclegan", wanted, generator)
        out = torch.empty_like(x)
        for to in (0, 1):
            rows = domain_rows(wanted, to, x.device)  # `wanted` is on the host: no sync to find the rows
            if len(rows):
                out.index_copy_(0, rows, self.translate(x.index_select(0, rows), to).to(out.dtype))
        return out

    def parts(self):
        def generate(b: int):
            return self.generate(torch.rand(b, *self.shape, device=self.device), 1)

        def discriminate(b: int):
            return self.discriminators[1](torch.rand(b, *self.shape, device=self.device))

        return {
            "generator (each of 2)": ([self.generators[1]], generate),
            "discriminator (each of 2)": ([self.discriminators[1]], discriminate),
        }
