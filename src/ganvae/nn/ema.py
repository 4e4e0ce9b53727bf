"""An exponential moving average of a network's weights (Yazıcı et al. 2019, "The unusual effectiveness of
averaging in GAN training"; BigGAN, Brock et al. 2019; StudioGAN's `G_ema`).

A GAN's generator oscillates around the game's equilibrium rather than settling on it; the average of its
recent weights sits closer to the centre and draws better samples. The average is a frozen copy of the
network: no gradients, in no optimizer, never trained, only updated after each step of the network it
follows. It costs memory (one copy of the weights and buffers), not FLOPs or parameters of the model.

Buffers (BatchNorm's running statistics) are copied from the network, not averaged, as StudioGAN does:
they describe the network's activations, and an average of statistics is not the statistic of an average.

>>> net = torch.nn.Linear(2, 1)
>>> ema = EMA(net, decay=0.9, warmup=False)
>>> round(float(ema.update(net)), 6)
0.9
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA(nn.Module):
    """`net`: the average of `source`'s weights. Update n (counting from 0) uses the decay
    d_n = 0 for n < start (a plain copy), then min(decay, (1 + m) / (10 + m)) with m = n - start when
    `warmup` (TensorFlow's ExponentialMovingAverage: early averages do not drag the initial weights along
    for thousands of steps), else `decay`:  ema <- d_n * ema + (1 - d_n) * weights."""

    def __init__(self, source: nn.Module, decay: float, start: int = 0, warmup: bool = True):
        super().__init__()
        self.decay, self.start, self.warmup = float(decay), int(start), bool(warmup)
        self.net = copy.deepcopy(source).requires_grad_(False)
        # updates so far; 0 also means "never updated" (e.g. a checkpoint written before the average existed)
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    @property
    def ready(self) -> bool:
        """Whether the average has followed its network at least once."""
        return bool(self.updates > 0)

    def decay_now(self) -> torch.Tensor:
        """d_n of the next update, as a tensor on the weights' device (no host sync in the training step)."""
        n = self.updates.double()
        d = torch.full_like(n, self.decay)
        if self.warmup:
            m = n - self.start
            d = torch.minimum(d, (1 + m) / (10 + m))
        return torch.where(n < self.start, torch.zeros_like(d), d).float()

    @torch.no_grad()
    def update(self, source: nn.Module) -> torch.Tensor:
        """Move the average towards `source`'s current weights and copy its buffers; returns d_n."""
        d = self.decay_now()
        mine = list(self.net.parameters())
        theirs = [p.detach() for p in source.parameters()]
        torch._foreach_mul_(mine, d)
        torch._foreach_add_(mine, torch._foreach_mul(theirs, 1.0 - d))
        for b_mine, b_theirs in zip(self.net.buffers(), source.buffers(), strict=True):
            b_mine.copy_(b_theirs)
        self.updates += 1
        return d

    @torch.no_grad()
    def reset(self, source: nn.Module) -> None:
        """Start again from a copy of `source` (weights and buffers), as if never updated."""
        self.net.load_state_dict(source.state_dict())
        self.updates.zero_()
