"""Image GANs as config fields of one class: DCGAN (Radford et al. 2016, non-saturating BCE of
Goodfellow et al. 2014), WGAN-GP (Gulrajani et al. 2017) and SNGAN (Miyato et al. 2018: hinge loss and
spectral norm), each optionally class-conditional through a projection discriminator (Miyato & Koyama
2018) and a generator fed a one-hot label.

The generator is the VAE decoder's exact architecture ending in Tanh on data scaled to [-1, 1]; the
discriminator is the VAE encoder's trunk with a one-logit head (the sigmoid lives inside the loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.inversion import InversionConfig, invert
from ganvae.nn.conv import ConvDecoder, ConvEncoder, Norm
from ganvae.search_space import Param

Loss = Literal["bce", "wgan-gp", "hinge"]


@dataclass
class GANConfig:
    latent_dim: int = 32
    width: int = 32
    loss: Loss = "bce"
    spectral_norm: bool = False
    d_norm: Norm = "batch"
    n_critic: int = 1
    gp_weight: float = 10.0
    conditional: bool = False
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    inversion_steps: int = 100
    inversion_restarts: int = 2
    inversion_lr: float = 0.1
    anogan_weight: float = 0.1  # λ of the AnoGAN score: (1-λ) residual + λ discriminator-feature loss
    # what `ganvae compare --search` varies (ganvae.search_space): Lucic et al. 2018's learning rates and
    # Adam's beta1, and the sizes
    search_space: ClassVar[dict[str, Param]] = {
        "lr_g": Param("log", 1e-5, 1e-3),
        "lr_d": Param("log", 1e-5, 1e-3),
        "beta1": Param("float", 0.0, 0.5),
        "latent_dim": Param("categorical", choices=(16, 32, 64)),
        "width": Param("categorical", choices=(16, 32, 64)),
    }

    def validate(self) -> None:
        if self.latent_dim < 1 or self.width < 1:
            raise ConfigError("latent_dim and width must be positive integers")
        if not 0.0 <= self.anogan_weight <= 1.0:
            raise ConfigError("anogan_weight must lie in [0, 1]")
        if self.inversion_steps < 1 or self.inversion_restarts < 1 or self.inversion_lr <= 0:
            raise ConfigError("inversion_steps and inversion_restarts must be >= 1, inversion_lr positive")
        if self.n_critic < 1:
            raise ConfigError("n_critic must be >= 1")
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ConfigError("lr_g and lr_d must be positive")
        if self.loss == "wgan-gp" and self.d_norm == "batch":
            raise ConfigError(
                "wgan-gp needs d_norm=layer or none: batch norm breaks the per-sample gradient penalty"
            )


class Discriminator(nn.Module):
    """ConvEncoder trunk + one logit, plus the projection term <embed(y), h> when conditional."""

    def __init__(self, shape, width: int, norm: Norm, spectral_norm: bool, num_classes: int):
        super().__init__()
        self.trunk = ConvEncoder(shape, width, norm=norm, spectral_norm=spectral_norm)
        head = nn.Linear(self.trunk.out_dim, 1)
        self.head = nn.utils.parametrizations.spectral_norm(head) if spectral_norm else head
        self.embed = nn.Embedding(num_classes, self.trunk.out_dim) if num_classes else None
        if self.embed is not None and spectral_norm:
            self.embed = nn.utils.parametrizations.spectral_norm(self.embed)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.trunk(x)
        logit = self.head(h).squeeze(1)
        if self.embed is not None and labels is not None:
            logit = logit + (self.embed(labels) * h).sum(1)
        return logit


class GAN(GenerativeModel):
    """A convolutional GAN on images in [0, 1] (internally [-1, 1]).

    >>> m = GAN(GANConfig(latent_dim=8, width=8), (1, 8, 8))
    >>> m.sample(3).shape
    torch.Size([3, 1, 8, 8])
    """

    capabilities = frozenset({"sample", "encode", "decode", "reconstruct", "score", "condition"})
    config_class = GANConfig
    family = "gan"
    anomaly_scores = ("anogan", "critic")

    def __init__(self, config: GANConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, num_classes)
        self.generator = ConvDecoder(config.latent_dim, self.shape, config.width, self.num_classes)
        self.discriminator = Discriminator(
            self.shape, config.width, config.d_norm, config.spectral_norm, self.num_classes
        )

    def generate(self, z: torch.Tensor, onehot: torch.Tensor | None) -> torch.Tensor:
        """Generator output in [-1, 1]."""
        return torch.tanh(self.generator(z, onehot))

    # ---- training ------------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        betas = (c.beta1, c.beta2)
        return {
            "d": self.adam(self.discriminator.parameters(), lr=c.lr_d, betas=betas),
            "g": self.adam(self.generator.parameters(), lr=c.lr_g, betas=betas),
        }

    def _d_loss(self, real_logit: torch.Tensor, fake_logit: torch.Tensor) -> torch.Tensor:
        loss = self.config.loss
        if loss == "bce":
            return F.softplus(-real_logit).mean() + F.softplus(fake_logit).mean()
        if loss == "hinge":
            return F.relu(1.0 - real_logit).mean() + F.relu(1.0 + fake_logit).mean()
        return fake_logit.mean() - real_logit.mean()  # Wasserstein critic

    def _g_loss(self, fake_logit: torch.Tensor) -> torch.Tensor:
        if self.config.loss == "bce":
            return F.softplus(-fake_logit).mean()  # non-saturating: maximise log D(G(z))
        return -fake_logit.mean()

    def _gradient_penalty(self, real, fake, labels) -> torch.Tensor:
        alpha = torch.rand(len(real), 1, 1, 1, device=real.device)
        mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        out = self.discriminator(mix, labels)
        (grad,) = torch.autograd.grad(out.sum(), mix, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        # One critic update per batch; the generator moves every n_critic-th batch, so each critic step
        # sees fresh real data (the usual WGAN-GP schedule) and the budget counts real images seen.
        real = x * 2.0 - 1.0
        labels = y if self.num_classes else None
        onehot = self.onehot(labels, len(x))
        z = self.latent(len(x))
        fake = self.generate(z, onehot)
        d_real = self.discriminator(real, labels)
        d_fake = self.discriminator(fake.detach(), labels)
        loss_d = self._d_loss(d_real, d_fake)
        logs = {"loss_d": loss_d.detach(), "d_real": d_real.mean().detach(), "d_fake": d_fake.mean().detach()}
        if self.config.loss == "wgan-gp":
            gp = self._gradient_penalty(real, fake.detach(), labels)
            loss_d = loss_d + self.config.gp_weight * gp
            logs["gp"] = gp.detach()
        opt.step("d", loss_d)

        if (step + 1) % self.config.n_critic == 0:
            self.discriminator.requires_grad_(False)  # no weight gradients for D during the G step
            fake = self.generate(self.latent(len(x)), self.onehot(labels, len(x)))
            loss_g = self._g_loss(self.discriminator(fake, labels))
            opt.step("g", loss_g)
            self.discriminator.requires_grad_(True)
            logs["loss_g"] = loss_g.detach()
        return logs

    # ---- the interface -------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        return self.decode(self.latent(n, generator), labels=labels)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        return (self.generate(z.to(self.device), self.onehot(labels, len(z))) + 1.0) / 2.0

    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Approximate code of `x` by latent inversion (optimise z; best of a few restarts)."""
        return self._invert(x, labels)

    def _invert(self, x: torch.Tensor, labels: torch.Tensor | None, loss=None) -> torch.Tensor:
        c = self.config
        cfg = InversionConfig(steps=c.inversion_steps, restarts=c.inversion_restarts, lr=c.inversion_lr)
        onehot = self.onehot(labels, len(x)) if self.num_classes else None
        target = x.to(self.device) * 2.0 - 1.0
        self.requires_grad_(False)  # only z is optimised
        try:
            return invert(self.generate, target, self.latent_dim, cfg, cond=onehot, loss=loss)
        finally:
            self.requires_grad_(True)

    def anogan_loss(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-image AnoGAN loss (Schlegl et al. 2017) on [-1, 1] images: (1-λ) mean absolute residual +
        λ mean absolute difference of discriminator features (feature matching, their improved variant)."""
        lam = self.config.anogan_weight
        residual = (generated - target).abs().flatten(1).mean(1)
        if lam == 0:
            return residual
        trunk = self.discriminator.trunk
        with torch.no_grad():
            target_feat = trunk(target)
        return (1 - lam) * residual + lam * (trunk(generated) - target_feat).abs().mean(1)

    def score_anogan(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """AnoGAN anomaly score: the AnoGAN loss at the latent code found by minimising it."""
        z = self._invert(x, labels, loss=self.anogan_loss)
        with torch.no_grad():
            onehot = self.onehot(labels, len(x)) if self.num_classes else None
            return self.anogan_loss(self.generate(z, onehot), x.to(self.device) * 2.0 - 1.0)

    @torch.no_grad()
    def score_critic(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Minus the discriminator logit: images the critic finds less real score higher."""
        return -self.critic(x, labels)

    @torch.no_grad()
    def critic(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Discriminator logit of images in [0, 1] (higher = looks more real)."""
        return self.discriminator(x.to(self.device) * 2.0 - 1.0, labels if self.num_classes else None)

    def parts(self):
        def generate(b: int):
            return self.generate(self.latent(b), self.onehot(None, b))

        def discriminate(b: int):
            labels = torch.zeros(b, dtype=torch.long, device=self.device) if self.num_classes else None
            return self.discriminator(torch.rand(b, *self.shape, device=self.device), labels)

        return {
            "generator": ([self.generator], generate),
            "discriminator": ([self.discriminator], discriminate),
        }
