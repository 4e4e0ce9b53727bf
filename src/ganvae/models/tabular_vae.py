"""Tabular VAE: the TVAE design of Xu, Skoularidou, Cuesta-Infante & Veeramachaneni 2019 ("Modeling Tabular
Data using Conditional GAN", NeurIPS), on rows transformed by `TabularTransformer` (mode-specific
normalisation, one-hot categories, missing-value flags).

Encoder and decoder are two-layer ReLU MLPs (128, 128) with a 128-dimensional code. The likelihood fits
each span: a Gaussian on every continuous column's scalar α with mean tanh(output) and a learned scale
σ (one per column, clamped to [0.01, 1] after each step as in the reference design), and a categorical
(cross-entropy) on every one-hot span. The loss is `loss_factor` × reconstruction + KL, per row; Adam at
1e-3 with weight decay 1e-5. Sampling decodes codes drawn from the prior and draws every span from that
likelihood: each α from its Gaussian (as TVAE does) and each one-hot from its categorical (where TVAE
takes the argmax; see `sample_encoded`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.tabular import sample_frame, transformer_of
from ganvae.nn.tabular import mlp
from ganvae.search_space import Param


@dataclass
class TabularVAEConfig:
    latent_dim: int = 128
    width: int = 128
    depth: int = 2
    loss_factor: float = 2.0  # weight of the reconstruction term against the KL term (TVAE's default)
    lr: float = 1e-3
    weight_decay: float = 1e-5
    # How a sampled row gets its categories (and each number's mode): "sample" draws them from the
    # decoder's categorical, the model's own distribution; "argmax" takes the most likely one, as TVAE
    # does. argmax over-produces common categories (diamonds, 3 seeds: quality 0.864 against 0.944) but
    # acts as a label denoiser for a classifier trained on the rows (credit-data: see BENCHMARKS.md).
    categorical: str = "sample"
    # what a hyperparameter search varies (ganvae.search_space)
    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 1e-4, 3e-3),
        "loss_factor": Param("log", 0.5, 8.0),
        "latent_dim": Param("categorical", choices=(32, 64, 128)),
        "width": Param("categorical", choices=(64, 128, 256)),
        "depth": Param("int", 1, 3),
        "categorical": Param("categorical", choices=("sample", "argmax")),
    }

    def validate(self) -> None:
        if min(self.latent_dim, self.width, self.depth) < 1:
            raise ConfigError("latent_dim, width and depth must be positive integers")
        if self.loss_factor <= 0 or self.lr <= 0 or self.weight_decay < 0:
            raise ConfigError("loss_factor and lr must be positive, weight_decay >= 0")
        if self.categorical not in ("sample", "argmax"):
            raise ConfigError(f"categorical must be 'sample' or 'argmax', not {self.categorical!r}")


class TabularVAE(GenerativeModel):
    """TVAE on transformed rows of shape (width,); `sample(n)` returns a DataFrame like the input table."""

    capabilities = frozenset({"sample", "encode", "decode", "reconstruct", "table"})
    config_class = TabularVAEConfig
    family = "vae"
    data_kind = "table"
    sampling_settings = frozenset({"categorical"})

    def __init__(self, config: TabularVAEConfig, shape, num_classes: int = 0, context=None):
        config.validate()
        super().__init__(config, shape, 0, context)
        n = self.shape[0]
        self.transformer, self.layout = transformer_of(self.context, n)
        widths = [config.width] * config.depth
        self.encoder = mlp(n, widths, 2 * config.latent_dim)
        self.decoder = mlp(config.latent_dim, widths, n)
        self.sigma = nn.Parameter(torch.full((len(self.layout.tanh),), 0.1))

    def _to(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.device).float()

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        return {"vae": self.adam(self.parameters(), lr=c.lr, weight_decay=c.weight_decay)}

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        mu, logvar = self.posterior(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        recon = self.layout.reconstruction_loss(self.decoder(z), x, self.sigma)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1).mean()
        loss = self.config.loss_factor * recon + kl
        opt.step("vae", loss)
        with torch.no_grad():  # σ in [0.01, 1], as TVAE clamps it
            self.sigma.clamp_(0.01, 1.0)
        return {"loss": loss.detach(), "recon": recon.detach(), "kl": kl.detach()}

    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.posterior(self._to(x))[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Transformed rows (tanh α, softmax one-hots) for codes z."""
        return self.layout.activate(self.decoder(z.to(self.device)))

    @torch.no_grad()
    def sample_encoded(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Rows drawn from the model: z from the prior, then every span from the decoder's likelihood
        (each α from its Gaussian, each one-hot from its categorical), not the decoder's mean.

        TVAE takes the argmax of every categorical (`categorical="argmax"` here). That mode-seeking
        shortcut over-produces the common categories: on diamonds (3 seeds, BENCHMARKS.md, tabular
        section) it gave clarity's shape 0.76 against 0.97 drawn, and quality 0.864 against 0.944."""
        raw = self.decoder(self.latent(n, generator))
        return self.layout.draw(raw, self.sigma, generator, argmax=self.config.categorical == "argmax")

    @torch.no_grad()
    def sample(self, n: int, *, conditions=None, generator: torch.Generator | None = None, labels=None):
        """n synthetic rows as a DataFrame with the training table's columns and dtypes."""
        was = self.training
        self.eval()
        try:
            return sample_frame(
                self.transformer, n, lambda b, _: self.sample_encoded(b, generator), conditions
            )
        finally:
            self.train(was)

    def parts(self):
        n = self.shape[0]
        return {
            "encoder": ([self.encoder], lambda b: self.encoder(torch.rand(b, n, device=self.device))),
            "decoder": ([self.decoder], lambda b: self.decoder(self.latent(b))),
        }
