"""Tabular GAN: the CTGAN design of Xu, Skoularidou, Cuesta-Infante & Veeramachaneni 2019 ("Modeling
Tabular Data using Conditional GAN", NeurIPS), on rows transformed by `TabularTransformer`.

- Conditional generator with training-by-sampling: each step picks, per row, one discrete column
  uniformly and one of its categories with probability ∝ log(1 + frequency), so rare categories are
  generated and judged as often as they need to be learnt. The generator gets that one-hot condition
  beside its noise and is penalised (cross-entropy) when its output for the column disagrees with it;
  the critic sees real rows drawn *with* the (shuffled) conditions, so conditional and marginal
  distributions both match.
- Generator: two residual blocks (Linear → BatchNorm → ReLU, concatenated to their input, 256 wide),
  tanh on continuous scalars and Gumbel-softmax (τ = 0.2) on every one-hot span.
- PacGAN critic (Lin et al. 2018): `pac` rows are judged together (10), which penalises mode collapse;
  LeakyReLU(0.2) and dropout 0.5, 256 wide.
- WGAN-GP loss (Gulrajani et al. 2017) with the penalty on each pack's gradient, weight 10; Adam at 2e-4,
  betas (0.5, 0.9), weight decay 1e-6, one critic step per generator step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ganvae.errors import ConfigError
from ganvae.models.base import GenerativeModel, Optimizers
from ganvae.models.tabular import sample_frame, transformer_of
from ganvae.nn.tabular import Residual, mlp, padded_spans
from ganvae.search_space import Param


@dataclass
class TabularGANConfig:
    latent_dim: int = 128
    width_g: int = 256
    width_d: int = 256
    depth: int = 2
    pac: int = 10
    gumbel_tau: float = 0.2
    gp_weight: float = 10.0
    d_steps: int = 1
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    weight_decay: float = 1e-6
    log_frequency: bool = True  # sample conditions ∝ log(1 + count) (training-by-sampling) or ∝ count
    # what a hyperparameter search varies (ganvae.search_space); `pac` stays: it must divide the batch
    search_space: ClassVar[dict[str, Param]] = {
        "lr_g": Param("log", 1e-5, 1e-3),
        "lr_d": Param("log", 1e-5, 1e-3),
        "latent_dim": Param("categorical", choices=(64, 128)),
        "width_g": Param("categorical", choices=(128, 256)),
        "width_d": Param("categorical", choices=(128, 256)),
        "d_steps": Param("int", 1, 5),
        "gp_weight": Param("log", 1.0, 20.0),
    }

    def validate(self) -> None:
        if min(self.latent_dim, self.width_g, self.width_d, self.depth, self.pac, self.d_steps) < 1:
            raise ConfigError("latent_dim, widths, depth, pac and d_steps must be positive integers")
        if self.gumbel_tau <= 0 or self.gp_weight < 0:
            raise ConfigError("gumbel_tau must be positive and gp_weight >= 0")
        if self.lr_g <= 0 or self.lr_d <= 0 or self.weight_decay < 0:
            raise ConfigError("learning rates must be positive and weight_decay >= 0")


class Generator(nn.Module):
    def __init__(self, n_in: int, width: int, depth: int, n_out: int):
        super().__init__()
        blocks = [Residual(n_in + i * width, width) for i in range(depth)]
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(n_in + depth * width, n_out)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(z))


class Conditions:
    """Training-by-sampling over the discrete columns' category spans (indices, not data: kept out of
    the state_dict). `cond` is the concatenation of every discrete span's one-hot."""

    def __init__(self, spans, log_frequency: bool):
        self.spans = list(spans)
        self.offsets = torch.tensor([0, *torch.tensor([s.width for s in self.spans]).cumsum(0).tolist()])
        self.width = int(self.offsets[-1])
        self.log_frequency = log_frequency
        # each span's columns padded to the widest (pads masked out): the condition loss is one
        # cross-entropy whatever the number of spans
        self.padded, self.is_pad = padded_spans(self.spans)
        self.rows: torch.Tensor | None = None  # (n_spans * N,) row indices sorted by category per span
        self.starts = self.counts = self.probs = None

    def index(self, x: torch.Tensor) -> None:
        """Sort the training rows by category once per span, for O(1) sampling of a matching row."""
        n, device = len(x), x.device
        rows, starts, counts, probs = [], [], [], []
        for i, s in enumerate(self.spans):
            cat = x[:, s.start : s.start + s.width].argmax(1)
            order = torch.argsort(cat, stable=True)
            count = torch.bincount(cat, minlength=s.width)
            rows.append(order)
            starts.append(i * n + torch.cumsum(count, 0) - count)
            counts.append(count)
            weight = torch.log1p(count.float()) if self.log_frequency else count.float()
            probs.append(weight / weight.sum())
        self.rows, self.starts = torch.cat(rows), torch.cat(starts)
        self.counts = torch.cat(counts)
        # the per-step index tensors live where the training rows do (no copy per step on a GPU)
        self.offsets, self.padded, self.is_pad = (
            t.to(device) for t in (self.offsets, self.padded, self.is_pad)
        )
        # (n_spans, max_width) category probabilities, zero-padded
        self.probs = torch.zeros(len(self.spans), max(s.width for s in self.spans), device=device)
        for i, p in enumerate(probs):
            self.probs[i, : len(p)] = p

    def draw(self, b: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(span index per row, global category id per row, one-hot condition (b, width))."""
        span = torch.randint(len(self.spans), (b,), device=device)
        cat = torch.multinomial(self.probs[span], 1).squeeze(1)
        gid = self.offsets[span] + cat
        return span, gid, F.one_hot(gid, self.width).float()

    def loss(self, raw: torch.Tensor, span: torch.Tensor, gid: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of each row's conditioned span (raw logits) against its condition gid."""
        logits = raw.gather(1, self.padded[span]).masked_fill(self.is_pad[span], float("-inf"))
        return F.cross_entropy(logits, gid - self.offsets[span])

    def real_rows(self, gid: torch.Tensor) -> torch.Tensor:
        """A random training row index for each global category id."""
        pick = self.starts[gid] + (torch.rand(len(gid), device=gid.device) * self.counts[gid]).long()
        return self.rows[pick]


class TabularGAN(GenerativeModel):
    """CTGAN on transformed rows of shape (width,); `sample(n, conditions=...)` returns a DataFrame."""

    capabilities = frozenset({"sample", "condition", "table"})
    config_class = TabularGANConfig
    family = "gan"
    data_kind = "table"

    def __init__(self, config: TabularGANConfig, shape, num_classes: int = 0, context=None):
        config.validate()
        super().__init__(config, shape, 0, context)
        n = self.shape[0]
        self.transformer, self.layout = transformer_of(self.context, n)
        self.cond = Conditions(self.transformer.condition_spans, config.log_frequency)
        c = self.cond.width
        self.generator = Generator(config.latent_dim + c, config.width_g, config.depth, n)
        widths = [config.width_d] * config.depth
        self.discriminator = mlp(config.pac * (n + c), widths, 1, leaky=0.2, dropout=0.5)

    def prepare_training(self, x_train: torch.Tensor) -> None:
        if self.cond.spans:
            self.cond.index(x_train)
        self._x_train = x_train  # not a buffer: training rows never go into a checkpoint

    def generate(self, z: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """Raw generator outputs (before activations) for noise z and one-hot conditions."""
        return self.generator(torch.cat([z, cond], 1) if cond is not None else z)

    def critic(self, rows: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        h = torch.cat([rows, cond], 1) if cond is not None else rows
        return self.discriminator(h.reshape(-1, self.config.pac * h.shape[1]))

    def _gradient_penalty(self, real: torch.Tensor, fake: torch.Tensor, cond) -> torch.Tensor:
        p = self.config.pac
        alpha = torch.rand(len(real) // p, 1, 1, device=real.device).expand(-1, p, 1).reshape(-1, 1)
        mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(self.critic(mix, cond).sum(), mix, create_graph=True)
        return ((grad.reshape(-1, p * real.shape[1]).norm(dim=1) - 1.0) ** 2).mean()

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        betas = (0.5, 0.9)
        return {
            "d": self.adam(
                self.discriminator.parameters(), lr=c.lr_d, betas=betas, weight_decay=c.weight_decay
            ),
            "g": self.adam(self.generator.parameters(), lr=c.lr_g, betas=betas, weight_decay=c.weight_decay),
        }

    def _fake_inputs(self, b: int):
        """Noise and, with discrete columns, conditions for b rows: (z, span, category id, one-hot)."""
        device = self._x_train.device
        z = torch.randn(b, self.config.latent_dim, device=device)
        if not self.cond.spans:
            return z, None, None, None
        return (z, *self.cond.draw(b, device))

    def _real_batch(self, b: int, gid: torch.Tensor | None, cond: torch.Tensor | None):
        """b real rows with the conditions they satisfy (training-by-sampling: a shuffle of the fake
        batch's); without discrete columns, plain WGAN-GP on uniformly drawn rows."""
        device = self._x_train.device
        if gid is None:
            return None, self._x_train[torch.randint(len(self._x_train), (b,), device=device)]
        perm = torch.randperm(b, device=device)
        return cond[perm], self._x_train[self.cond.real_rows(gid[perm])]

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor | None, opt: Optimizers, step: int
    ) -> dict[str, float]:
        # The loop's batch sets the batch size (rounded down to whole packs); rows themselves are drawn
        # by training-by-sampling, so an epoch is still N / batch steps, as in CTGAN.
        c = self.config
        b = len(x) // c.pac * c.pac
        if b == 0:
            raise ConfigError(f"batch size {len(x)} is smaller than pac={c.pac}; raise --batch-size")
        for _ in range(c.d_steps):
            z, span, gid, cond = self._fake_inputs(b)
            cond_real, real = self._real_batch(b, gid, cond)
            with torch.no_grad():
                fake = self.layout.activate(self.generate(z, cond), c.gumbel_tau)
            # fake and real packs judged in one call (the critic has no batch statistics, so this is the
            # same function as two calls, with half the kernels)
            both = self.critic(
                torch.cat([fake, real]), torch.cat([cond, cond_real]) if cond is not None else None
            )
            loss_d = both[: len(both) // 2].mean() - both[len(both) // 2 :].mean()
            gp = self._gradient_penalty(real, fake, cond_real) if c.gp_weight else torch.zeros(())
            opt.step("d", loss_d + c.gp_weight * gp)

        z, span, gid, cond = self._fake_inputs(b)
        self.discriminator.requires_grad_(False)
        raw = self.generate(z, cond)
        adv = -self.critic(self.layout.activate(raw, c.gumbel_tau), cond).mean()
        cond_loss = self.cond.loss(raw, span, gid) if cond is not None else torch.zeros(())
        opt.step("g", adv + cond_loss)
        self.discriminator.requires_grad_(True)
        return {
            "loss_d": loss_d.detach(),
            "loss_g": adv.detach(),
            "gp": gp.detach(),
            "cond": cond_loss.detach(),
        }

    @torch.no_grad()
    def sample_encoded(
        self, n: int, condition: tuple[int, int] | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """n transformed rows; `condition` = (discrete span index, category) steers the generator, else
        conditions are drawn from the training frequencies (as CTGAN samples)."""
        z = self.latent(n, generator)
        cond = None
        if self.cond.spans:
            if condition is None:
                gid = self._training_conditions(n, generator)
            else:
                gid = torch.full((n,), int(self.cond.offsets[condition[0]]) + condition[1], dtype=torch.long)
            cond = F.one_hot(gid, self.cond.width).float().to(self.device)
        return self.layout.activate(self.generate(z, cond), self.config.gumbel_tau, generator)

    def _training_conditions(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        """Global category ids drawn as the data has them: a random discrete column, then a category by
        its frequency in the training data (stored in the transformer, so it works after `load`)."""
        span = torch.randint(len(self.cond.spans), (n,), generator=generator)
        freqs = self.transformer.condition_frequencies()
        gid = torch.empty(n, dtype=torch.long)
        for i in range(len(self.cond.spans)):
            rows = span == i
            if rows.any():
                p = torch.as_tensor(freqs[i], dtype=torch.float)
                gid[rows] = int(self.cond.offsets[i]) + torch.multinomial(
                    p, int(rows.sum()), True, generator=generator
                )
        return gid

    @torch.no_grad()
    def sample(self, n: int, *, conditions=None, generator: torch.Generator | None = None, labels=None):
        """n synthetic rows as a DataFrame with the training table's columns and dtypes."""
        was = self.training
        self.eval()
        try:
            return sample_frame(
                self.transformer, n, lambda b, cond: self.sample_encoded(b, cond, generator), conditions
            )
        finally:
            self.train(was)

    def parts(self):
        n, c = self.shape[0], self.cond.width
        return {
            "generator": (
                [self.generator],
                lambda b: self.generator(torch.randn(b, self.config.latent_dim + c, device=self.device)),
            ),
            "discriminator": (
                [self.discriminator],
                lambda b: self.discriminator(
                    torch.rand(max(1, b // self.config.pac), self.config.pac * (n + c), device=self.device)
                ),
            ),
        }
