"""Blocks for models of transformed table rows: per-span output activations and reconstruction losses,
and the residual MLP of CTGAN's generator.

A transformed row is a concatenation of spans (see `ganvae.data.tables.TabularTransformer`): a scalar
in [-1, 1] per continuous column ("alpha", tanh) and one-hots (softmax) for modes, categories and
missing-value flags. All softmax spans are handled together, padded to the widest (see `SpanLayout`),
so a table with many categorical columns costs a few kernels per step, not dozens.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

from ganvae.nn.noise import seeded


def padded_spans(spans: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """(columns, is_pad), both (len(spans), widest): each span's row columns padded to the widest span by
    repeating its last column, and where the pads are (to be masked to −inf before a softmax)."""
    widest = max((s.width for s in spans), default=1)
    columns = [[s.start + min(j, s.width - 1) for j in range(widest)] for s in spans]
    is_pad = [[j >= s.width for j in range(widest)] for s in spans]
    shape = (len(spans), widest)
    return torch.tensor(columns, dtype=torch.long).reshape(shape), torch.tensor(is_pad).reshape(shape)


def _gumbel(shape: torch.Size, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Standard Gumbel noise from `generator` (neither `F.gumbel_softmax` nor
    `torch.distributions.Categorical.sample` takes one)."""
    u = seeded(torch.rand, shape, generator, device)
    return -torch.log(-torch.log(u.clamp(1e-10, 1.0 - 1e-7)))


class SpanLayout:
    """Where each span's columns are, arranged for a few kernels per step whatever the table.

    Every softmax span is padded to the widest one: `padded` (n_spans, widest) holds its columns (pads
    repeat its last column and are masked to −inf), so one gather gives all spans' logits as a
    (b, n_spans, widest) tensor and one softmax or logsumexp handles them all; `valid` picks the real
    entries back out, in the order of `soft_columns`. Against one gather per distinct span width, this
    made whole tabular-vae / tabular-gan steps ~10 % faster on credit-data (8 alternating rounds,
    BENCHMARKS.md, tabular section).
    """

    def __init__(self, spans: Sequence[Any], width: int):
        self.width = width
        self.tanh = torch.tensor([s.start for s in spans if s.activation == "tanh"], dtype=torch.long)
        self.padded, self.pad = padded_spans([s for s in spans if s.activation != "tanh"])
        self.valid = torch.nonzero(~self.pad.flatten()).squeeze(1)  # real entries of the flat padded tensor
        self.soft_columns = self.padded.flatten()[self.valid]  # their row columns
        columns = torch.cat([self.tanh, self.soft_columns])
        if len(columns) != width or len(set(columns.tolist())) != width:
            raise ValueError(f"the spans do not tile a row of {width} columns exactly once")
        self.inverse = torch.argsort(columns)  # [tanh | softmax entries] order -> row order
        self._copies: dict[torch.device, SimpleNamespace] = {}

    def _on(self, device: torch.device) -> SimpleNamespace:
        """The index tensors on `device`, copied there once: a layout is not an nn.Module, so `.to()` never
        reaches it, and copying them at every call would be a host-to-device transfer per kernel on a GPU."""
        if device not in self._copies:
            names = ("tanh", "padded", "pad", "valid", "soft_columns", "inverse")
            self._copies[device] = SimpleNamespace(**{k: getattr(self, k).to(device) for k in names})
        return self._copies[device]

    def _logits(self, raw: torch.Tensor, idx: SimpleNamespace) -> torch.Tensor:
        """Every softmax span's logits, (b, n_spans, widest), pads at −inf."""
        return raw[:, idx.padded].masked_fill(idx.pad, float("-inf"))

    def activate(
        self, raw: torch.Tensor, gumbel_tau: float | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """tanh on alpha columns, softmax (or Gumbel-softmax at temperature `gumbel_tau`) on each span."""
        device, idx = raw.device, self._on(raw.device)
        parts = [torch.tanh(raw[:, idx.tanh])]
        if len(self.valid):
            logits = self._logits(raw, idx)
            if gumbel_tau is not None:
                logits = (logits + _gumbel(logits.shape, generator, device)) / gumbel_tau
            parts.append(torch.softmax(logits, dim=-1).flatten(1)[:, idx.valid])
        return torch.cat(parts, 1)[:, idx.inverse]

    def draw(
        self,
        raw: torch.Tensor,
        sigma: torch.Tensor,
        generator: torch.Generator | None = None,
        *,
        argmax: bool = False,
    ) -> torch.Tensor:
        """One row per output drawn from the likelihood that `reconstruction_loss` fits: each alpha from
        N(tanh(raw), σ²) and each softmax span one-hot from its categorical, or (`argmax`) its most likely
        entry, as TVAE decodes.

        The categorical draw is Gumbel-max: exact, unlike a low-temperature Gumbel-softmax."""
        device, idx = raw.device, self._on(raw.device)
        alpha = torch.tanh(raw[:, idx.tanh])
        parts = [alpha + seeded(torch.randn, alpha.shape, generator, device) * sigma]
        if len(self.valid):
            logits = self._logits(raw, idx)
            if not argmax:
                logits = logits + _gumbel(logits.shape, generator, device)
            pick = logits.argmax(-1, keepdim=True)
            onehot = torch.zeros_like(logits).scatter_(-1, pick, 1.0)
            parts.append(onehot.flatten(1)[:, idx.valid])
        return torch.cat(parts, 1)[:, idx.inverse]

    def reconstruction_loss(self, raw: torch.Tensor, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """TVAE's loss per row, summed over spans and averaged over rows: a Gaussian of learned scale σ on
        each alpha (mean tanh(raw)) and cross-entropy on each one-hot span. `sigma` is (len(tanh),).

        For a one-hot target, cross-entropy is logsumexp(logits) − the target's logit, so all spans' target
        logits come from one product with x (no argmax)."""
        b, idx = len(x), self._on(raw.device)
        loss = raw.new_zeros(())
        if len(self.tanh):
            diff = x[:, idx.tanh] - torch.tanh(raw[:, idx.tanh])
            loss = loss + (diff.pow(2) / (2 * sigma.pow(2))).sum() + b * sigma.log().sum()
        if len(self.valid):
            soft = idx.soft_columns
            loss = (
                loss
                + torch.logsumexp(self._logits(raw, idx), dim=-1).sum()
                - (raw[:, soft] * x[:, soft]).sum()
            )
        return loss / b


class Residual(nn.Module):
    """CTGAN's generator block: Linear → BatchNorm → ReLU, its output concatenated to its input."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)
        self.bn = nn.BatchNorm1d(n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Dropout(nn.Dropout):
    """`nn.Dropout` whose CPU mask is a uniform draw compared with p.

    On CPU, `F.dropout` draws its mask with `bernoulli_`, ~3x slower than `torch.rand` (208 against 65 µs
    for a 50 x 256 mask, 2 threads): that was 4-5 % of a tabular-gan step, whose critic drops out 8 times
    per step. The function is the same (keep with probability 1 - p, scale by 1 / (1 - p)); on other
    devices the fused kernel is used as is."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0 or x.device.type != "cpu":
            return super().forward(x)
        return x * (torch.rand_like(x) >= self.p) * (1.0 / (1.0 - self.p))


def mlp(
    n_in: int, widths: Sequence[int], n_out: int, *, leaky: float = 0.0, dropout: float = 0.0
) -> nn.Sequential:
    """Linear layers of `widths` with ReLU (or LeakyReLU) and optional dropout, then a linear output."""
    layers: list[nn.Module] = []
    for w in widths:
        layers += [nn.Linear(n_in, w), nn.LeakyReLU(leaky) if leaky else nn.ReLU()]
        if dropout:
            layers.append(Dropout(dropout))
        n_in = w
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)
