"""Blocks for models of transformed table rows: per-span output activations and reconstruction losses,
and the residual MLP of CTGAN's generator.

A transformed row is a concatenation of spans (see `ganvae.data.tabular.TabularTransformer`): a scalar
in [-1, 1] per continuous column ("alpha", tanh) and one-hots (softmax) for modes, categories and
missing-value flags. Spans of equal width are handled together: one reshaped softmax or cross-entropy
per distinct width instead of one per column, so a table with many categorical columns costs a few
kernels per step, not dozens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class SpanLayout:
    """Index tensors that gather each group of equal-width softmax spans, and the tanh columns."""

    def __init__(self, spans: Sequence[Any], width: int):
        self.width = width
        self.tanh = torch.tensor([s.start for s in spans if s.activation == "tanh"], dtype=torch.long)
        groups: dict[int, list[int]] = defaultdict(list)
        for s in spans:
            if s.activation != "tanh":
                groups[s.width].append(s.start)
        # per width w: (k, w) column indices of its k spans
        self.softmax = [
            torch.tensor(starts, dtype=torch.long)[:, None] + torch.arange(w)[None, :]
            for w, starts in sorted(groups.items())
        ]

    def activate(
        self, raw: torch.Tensor, gumbel_tau: float | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """tanh on alpha columns, softmax (or Gumbel-softmax at temperature `gumbel_tau`) on each span.

        The Gumbel noise is drawn here rather than by `F.gumbel_softmax`, which takes no generator: a
        seeded `sample` must give the same rows every time."""
        out = torch.empty_like(raw)
        if len(self.tanh):
            out[:, self.tanh] = torch.tanh(raw[:, self.tanh])
        for idx in self.softmax:
            logits = raw[:, idx]  # (b, k, w)
            if gumbel_tau is not None:
                where = generator.device if generator is not None else logits.device
                u = torch.rand(logits.shape, generator=generator, device=where).to(logits.device)
                logits = (logits - torch.log(-torch.log(u.clamp(1e-10, 1.0 - 1e-7)))) / gumbel_tau
            out[:, idx] = torch.softmax(logits, dim=-1)
        return out

    def reconstruction_loss(self, raw: torch.Tensor, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """TVAE's loss per row, summed over spans and averaged over rows: a Gaussian of learned scale σ on
        each alpha (mean tanh(raw)) and cross-entropy on each one-hot span. `sigma` is (len(tanh),)."""
        b = len(x)
        loss = raw.new_zeros(())
        if len(self.tanh):
            diff = x[:, self.tanh] - torch.tanh(raw[:, self.tanh])
            loss = loss + (diff.pow(2) / (2 * sigma.pow(2))).sum() + b * sigma.log().sum()
        for idx in self.softmax:
            logits = raw[:, idx]  # (b, k, w)
            target = x[:, idx].argmax(-1)  # (b, k)
            loss = loss + F.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="sum")
        return loss / b


class Residual(nn.Module):
    """CTGAN's generator block: Linear → BatchNorm → ReLU, its output concatenated to its input."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)
        self.bn = nn.BatchNorm1d(n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


def mlp(
    n_in: int, widths: Sequence[int], n_out: int, *, leaky: float = 0.0, dropout: float = 0.0
) -> nn.Sequential:
    """Linear layers of `widths` with ReLU (or LeakyReLU) and optional dropout, then a linear output."""
    layers: list[nn.Module] = []
    for w in widths:
        layers += [nn.Linear(n_in, w), nn.LeakyReLU(leaky) if leaky else nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        n_in = w
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)
