"""UNIT (Liu, Breuel & Kautz 2017, "Unsupervised image-to-image translation networks"): a VAE-GAN per
domain whose two VAEs share one latent space, so an image of one domain is translated by encoding it with
its own encoder and decoding the code with the other domain's decoder.

The shared latent is enforced as in the paper, by sharing weights: the encoders' last layer (the linear
head to the code) and the decoders' first layer (the projection from the code) are one module each. Each
encoder outputs the code's mean; the posterior has unit variance (z = μ + ε), so the KL term is |μ|²/2
(the authors' code takes the mean of μ²). The objective (the authors' released weights and mean-based
losses: reconstruction and cycle L1 ×10, KL ×0.01, least-squares GAN ×1):

    L = gan (L_GAN(G_T(z_s), D_T) + L_GAN(G_S(z_t), D_S)) + recon (|G_S(z_s) - s|₁ + |G_T(z_t) - t|₁)
        + kl (KL(z_s) + KL(z_t)) + cycle (|G_S(E_T(G_T(z_s))) - s|₁ + ...) + cycle_kl (KL of the re-encodings)

Adam lr 1e-4, β = (0.5, 0.999), as theirs. The encoders and decoders are the VAE's (`ganvae.nn.conv`), the
discriminators the GAN's. Its family is "vae-gan": the translate task counts it with the adversarial arms
(its decoders are trained against discriminators), and its encoders are a VAE's.

>>> import torch
>>> m = UNIT(UNITConfig(width=8, latent_dim=4), (1, 8, 8), 2)
>>> m.translate(torch.rand(3, 1, 8, 8), to=0).shape
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
    check_two_domains,
    domain_labels,
    domain_rows,
    lsgan_d,
    lsgan_g,
    split_domains,
)
from ganvae.models.gan import Discriminator
from ganvae.nn.conv import ConvDecoder, ConvEncoder, Norm
from ganvae.nn.noise import seeded
from ganvae.search_space import Param


@dataclass
class UNITConfig:
    latent_dim: int = 32
    width: int = 32
    lr: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.999
    gan_weight: float = 1.0
    recon_weight: float = 10.0
    kl_weight: float = 0.01
    cycle_weight: float = 10.0
    cycle_kl_weight: float = 0.01
    d_norm: Norm = "batch"

    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 5e-5, 1e-3),
        "recon_weight": Param("log", 1.0, 30.0),
        "cycle_weight": Param("log", 1.0, 30.0),
        "kl_weight": Param("log", 1e-3, 0.1),
        "latent_dim": Param("categorical", choices=(16, 32, 64)),
        "width": Param("categorical", choices=(16, 32, 64)),
    }

    def validate(self) -> None:
        if self.latent_dim < 1 or self.width < 1:
            raise ConfigError("latent_dim and width must be positive integers")
        if self.lr <= 0:
            raise ConfigError("lr must be positive")
        weights = (
            self.gan_weight,
            self.recon_weight,
            self.kl_weight,
            self.cycle_weight,
            self.cycle_kl_weight,
        )
        if any(w < 0 for w in weights):
            raise ConfigError("the loss weights of unit must be >= 0")


class UNIT(GenerativeModel):
    """Two encoders and two decoders around one shared latent space, two discriminators."""

    capabilities = frozenset({"sample", "encode", "decode", "reconstruct", "translate"})
    labels_on_host = True  # `train_step` splits each batch by domain
    config_class = UNITConfig
    family = "vae-gan"
    data_kind = "domains"

    def __init__(self, config: UNITConfig, shape: tuple[int, int, int], num_classes: int = 0):
        super().__init__(config, shape, num_classes)
        check_two_domains("unit", num_classes)
        self.num_classes = num_classes
        self.encoders = nn.ModuleList([ConvEncoder(self.shape, config.width, norm="batch") for _ in range(2)])
        self.shared_head = nn.Linear(self.encoders[0].out_dim, config.latent_dim)  # the shared last layer
        decoders = [ConvDecoder(config.latent_dim, self.shape, config.width) for _ in range(2)]
        self.shared_project = decoders[0].project  # the shared first layer: code -> base feature map
        for d in decoders:
            d.project = nn.Identity()
        self.decoders = nn.ModuleList(decoders)
        self.discriminators = nn.ModuleList(
            [Discriminator(self.shape, config.width, config.d_norm, False, 0) for _ in range(2)]
        )

    # ---- networks (images in [-1, 1]) --------------------------------------------------------
    def mean(self, x: torch.Tensor, domain: int) -> torch.Tensor:
        return self.shared_head(self.encoders[domain](x))

    def generate(self, z: torch.Tensor, domain: int) -> torch.Tensor:
        return torch.tanh(self.decoders[domain](self.shared_project(z)))

    # ---- training ------------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        betas = (c.beta1, c.beta2)
        vae = [p for name, p in self.named_parameters() if not name.startswith("discriminators.")]
        return {
            "d": self.adam(self.discriminators.parameters(), lr=c.lr, betas=betas),
            "g": self.adam(vae, lr=c.lr, betas=betas),
        }

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        a, b = split_domains(x, y)
        if not len(a) or not len(b):  # a batch of one domain only: nothing to translate against
            return {}
        c = self.config
        real = (a * 2.0 - 1.0, b * 2.0 - 1.0)
        mu = (self.mean(real[0], 0), self.mean(real[1], 1))
        z = tuple(m + torch.randn_like(m) for m in mu)  # unit-variance posterior
        fake = (self.generate(z[1], 0), self.generate(z[0], 1))  # fake[k]: translated into domain k
        loss_d = sum(
            lsgan_d(self.discriminators[k](real[k]), self.discriminators[k](fake[k].detach())) for k in (0, 1)
        )
        opt.step("d", loss_d)

        self.discriminators.requires_grad_(False)
        adv = lsgan_g(self.discriminators[0](fake[0])) + lsgan_g(self.discriminators[1](fake[1]))
        recon = sum((self.generate(z[k], k) - real[k]).abs().mean() for k in (0, 1))
        kl = sum(m.pow(2).mean() for m in mu)
        # cycle: re-encode each translation with its new domain's encoder, decode back into the old domain
        mu_back = (self.mean(fake[1], 1), self.mean(fake[0], 0))  # codes of a's and b's translations
        cycle = sum(
            (self.generate(m + torch.randn_like(m), k) - real[k]).abs().mean() for k, m in enumerate(mu_back)
        )
        kl_back = sum(m.pow(2).mean() for m in mu_back)
        loss_g = (
            c.gan_weight * adv
            + c.recon_weight * recon
            + c.kl_weight * kl
            + c.cycle_weight * cycle
            + c.cycle_kl_weight * kl_back
        )
        opt.step("g", loss_g)
        self.discriminators.requires_grad_(True)
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "loss_adv": adv.detach(),
            "loss_recon": recon.detach(),
            "loss_cycle": cycle.detach(),
            "kl": kl.detach(),
        }

    # ---- the interface -------------------------------------------------------------------------
    def _by_domain(self, n: int, labels: torch.Tensor | None, what: str) -> torch.Tensor:
        if labels is None:
            raise ConfigError(f"unit {what}s with a domain label per image: 0 (source) or 1 (target)")
        return domain_labels(labels, n, None)

    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The shared code (posterior mean) of each image, by its domain's encoder."""
        domains = self._by_domain(len(x), labels, "encode")  # on the host: no sync to find each domain's rows
        x = x.to(self.device).float() * 2.0 - 1.0
        z = torch.empty(len(x), self.latent_dim, device=self.device)
        for k in (0, 1):
            rows = domain_rows(domains, k, self.device)
            if len(rows):
                z.index_copy_(0, rows, self.mean(x.index_select(0, rows), k))
        return z

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [0, 1] of the domain `labels` gives each code."""
        domains = self._by_domain(len(z), labels, "decode")  # on the host, as in `encode`
        z = z.to(self.device)
        out = torch.empty(len(z), *self.shape, device=self.device)
        for k in (0, 1):
            rows = domain_rows(domains, k, self.device)
            if len(rows):
                out.index_copy_(0, rows, self.generate(z.index_select(0, rows), k))
        return (out + 1.0) / 2.0

    @torch.no_grad()
    def translate(self, x: torch.Tensor, to: int) -> torch.Tensor:
        """Images in [0, 1] of the other domain translated into domain `to`: encode with the other
        domain's encoder, decode with domain `to`'s decoder."""
        to = int(to)
        z = self.mean(x.to(self.device).float() * 2.0 - 1.0, 1 - to)
        return (self.generate(z, to) + 1.0) / 2.0

    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """Codes from the prior N(0, I), decoded into the domains `labels` gives (random when None)."""
        domains = domain_labels(labels, n, generator)
        return self.decode(seeded(torch.randn, (n, self.latent_dim), generator, self.device), labels=domains)

    def parts(self):
        def generate(b: int):
            return self.generate(torch.randn(b, self.latent_dim, device=self.device), 1)

        def encode(b: int):
            return self.mean(torch.rand(b, *self.shape, device=self.device), 1)

        return {
            "encoder (each of 2)": ([self.encoders[1], self.shared_head], encode),
            "decoder (each of 2)": ([self.decoders[1], self.shared_project], generate),
        }
