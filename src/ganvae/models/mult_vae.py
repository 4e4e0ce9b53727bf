"""Mult-VAE and Mult-DAE: autoencoders of a user's item vector with a multinomial likelihood
(Liang, Krishnan, Hoffman & Jebara 2018, "Variational Autoencoders for Collaborative Filtering", WWW).

As in the paper and its reference code: the input row is L2-normalised and dropped out (p = 0.5); the
encoder is [n_items -> 600 -> 2 x 200] with tanh (mean and log-variance, no activation) and the decoder
mirrors it; the decoder's logits define a softmax over items and the loss is the multinomial
log-likelihood -sum_i x_i log softmax(logits)_i. The KL term's weight β grows linearly with the update
count and stops at `beta_cap` = 0.2 ("partially regularised" Mult-VAE^PR); `total_anneal_steps` sets
the slope. Mult-DAE (`variational=false`) is the denoising autoencoder of the same paper: [n_items -> 200
-> n_items], dropout on the input as its noise, no KL term, L2 weight decay instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.search_space import Param


@dataclass
class MultVAEConfig:
    variational: bool = True
    hidden: int = 600  # 0 = no hidden layer (Mult-DAE's [n_items -> 200 -> n_items])
    latent_dim: int = 200
    dropout: float = 0.5
    beta_cap: float = 0.2
    total_anneal_steps: int = 2000
    lr: float = 1e-3
    weight_decay: float = 0.0
    # what a hyperparameter search varies (ganvae.search_space); Liang et al. tune beta_cap and dropout
    search_space: ClassVar[dict[str, Param]] = {
        "lr": Param("log", 1e-4, 3e-3),
        "dropout": Param("float", 0.0, 0.7),
        "beta_cap": Param("float", 0.0, 0.5),
        "latent_dim": Param("categorical", choices=(100, 200, 400)),
        "hidden": Param("categorical", choices=(0, 300, 600)),
        "weight_decay": Param("categorical", choices=(0.0, 1e-5, 1e-4)),
    }

    def validate(self) -> None:
        if self.latent_dim < 1 or self.hidden < 0:
            raise ConfigError("latent_dim must be >= 1 and hidden >= 0 (0 = no hidden layer)")
        if not 0 <= self.dropout < 1:
            raise ConfigError("dropout must lie in [0, 1) (Liang et al. use 0.5)")
        if self.beta_cap < 0 or self.total_anneal_steps < 1:
            raise ConfigError("beta_cap must be >= 0 and total_anneal_steps >= 1")
        if self.lr <= 0 or self.weight_decay < 0:
            raise ConfigError("lr must be positive and weight_decay >= 0")


class SparseRowsLinear(nn.Linear):
    """The encoder's input layer: L2-normalise each user row, drop its entries with probability `dropout`
    (inverted dropout, training only), then the linear map: `Linear(dropout(normalize(x)))`.

    On the CPU it is computed on the non-zero entries alone. Rows of interactions are mostly zeros
    (ml-100k: 3.3 % non-zero), and on a full 938-user batch there, dropout over the dense rows took 22 ms
    and the dense product with its weight gradient 33 ms; this route takes 24-26 ms for the whole layer
    against 66 ms (forward + backward; BENCHMARKS.md, recommendation section). A zero stays zero whatever
    dropout draws, so dropping only the non-zeros has the same distribution. `embedding_bag` with
    per-entry weights is PyTorch's stable sparse-input product; it wants the weight as a contiguous
    (items, hidden) matrix (a strided view made it 2.5x slower). So the weight is nn.Linear's (hidden,
    items) parameter, same values, same checkpoint key and shape, stored in transposed memory order:
    `weight.t()` is that matrix without a copy, and its gradient comes back in the same order. Copying
    it per call instead cost 3 ms of forward + backward per batch of 100 rows shaped like ml-100k's
    (1,447 items, 3.3 % non-zero; 6 against 3 ms for the layer; BENCHMARKS.md, recommendation section).
    On a GPU the dense product is cheap and `nonzero` would force a host sync every step, so it stays
    dense there.
    """

    def __init__(self, n_in: int, n_out: int, dropout: float):
        super().__init__(n_in, n_out)
        self.dropout = dropout
        # The initialised values, laid out as (n_in, n_out) in memory; no random draw is added
        self.weight = nn.Parameter(self.weight.detach().t().contiguous().t())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sparse(x) if x.device.type == "cpu" else self.dense(x)

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(F.dropout(F.normalize(x, dim=1), self.dropout, self.training), self.weight, self.bias)

    def sparse(self, x: torch.Tensor) -> torch.Tensor:
        rows, cols = x.nonzero(as_tuple=True)  # row-major: each row's entries are contiguous
        vals = x[rows, cols]
        norms = torch.zeros(len(x), dtype=vals.dtype, device=x.device).index_add_(0, rows, vals * vals)
        vals = vals / norms.sqrt().clamp_min(1e-12)[rows]  # F.normalize's eps
        vals = F.dropout(vals, self.dropout, self.training)
        offsets = torch.searchsorted(rows, torch.arange(len(x), device=x.device))
        weight = self.weight.t().contiguous()  # a no-op view while the layout set in __init__ holds
        out = F.embedding_bag(cols, weight, offsets, mode="sum", per_sample_weights=vals)
        return out + self.bias


def _mlp(sizes: list[int], input_dropout: float | None = None) -> nn.Sequential:
    """Linear layers with tanh between them (none after the last), as in Liang et al.'s code. With
    `input_dropout` (the encoder) the first layer reads user rows: normalised and dropped out."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        sparse = i == 0 and input_dropout is not None
        layers.append(SparseRowsLinear(a, b, input_dropout) if sparse else nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


class MultVAE(GenerativeModel):
    """Mult-VAE (or Mult-DAE) of binary user rows of shape (n_items,).

    >>> m = MultVAE(MultVAEConfig(hidden=16, latent_dim=4), (30,))
    >>> m.eval().rank(torch.zeros(2, 30)).shape
    torch.Size([2, 30])
    """

    capabilities = frozenset({"sample", "encode", "decode", "reconstruct", "recommend"})
    config_class = MultVAEConfig
    family = "vae"
    data_kind = "interactions"

    def __init__(self, config: MultVAEConfig, shape: tuple[int, ...], num_classes: int = 0):
        config.validate()
        super().__init__(config, shape, 0)
        n = self.shape[0]
        hidden = [config.hidden] if config.hidden else []
        out = 2 * config.latent_dim if config.variational else config.latent_dim
        self.encoder = _mlp([n, *hidden, out], config.dropout)
        self.decoder = _mlp([config.latent_dim, *hidden[::-1], n])

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.encoder(x)  # normalised and dropped out in its first layer
        if not self.config.variational:
            # Mult-DAE: tanh after every layer but the output, so its code passes through one too
            return torch.tanh(h), None
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)  # clamp: exp() must not overflow early in training

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits over items and the per-user KL (zero for the DAE)."""
        mu, logvar = self.posterior(x)
        if logvar is None:
            return self.decoder(mu), torch.zeros(len(x), device=x.device)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
        return self.decoder(z), kl

    def beta(self, step: int) -> float:
        """The KL weight after `step` updates: linear from 0, capped at beta_cap (Liang et al. 2018)."""
        if not self.config.variational:
            return 0.0
        return min(self.config.beta_cap, step / self.config.total_anneal_steps)

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        return {"ae": self.adam(self.parameters(), lr=c.lr, weight_decay=c.weight_decay)}

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        logits, kl = self(x)
        nll = -(F.log_softmax(logits, dim=1) * x).sum(1)  # multinomial log-likelihood (eq. 3)
        beta = self.beta(step)
        loss = (nll + beta * kl).mean()
        opt.step("ae", loss)
        return {"loss": loss.detach(), "nll": nll.mean().detach(), "kl": kl.mean().detach(), "beta": beta}

    @torch.no_grad()
    def rank(self, x: torch.Tensor) -> torch.Tensor:
        """Item logits given fold-in rows (eval mode: no dropout, posterior mean)."""
        was = self.training
        self.eval()
        logits, _ = self(x.to(self.device).float())
        self.train(was)
        return logits

    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.posterior(x.to(self.device).float())[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Item probabilities (a softmax over items) for codes z."""
        return torch.softmax(self.decoder(z.to(self.device)), dim=1)

    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """Item distributions of n users drawn from the prior (the VAE's generative model)."""
        return self.decode(self.latent(n, generator))

    def parts(self):
        n = self.shape[0]
        return {
            "encoder": ([self.encoder], lambda b: self.encoder(torch.rand(b, n, device=self.device))),
            "decoder": ([self.decoder], lambda b: self.decoder(self.latent(b))),
        }
