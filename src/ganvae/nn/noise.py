"""Seeded noise for sampling: one rule for every model's draws."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch


def seeded(
    draw: Callable[..., torch.Tensor],
    shape: Sequence[int],
    generator: torch.Generator | None,
    device: torch.device,
) -> torch.Tensor:
    """`draw` (torch.rand / torch.randn) from `generator`, on the generator's own device, then moved to
    `device`: a seeded `sample` gives the same values whatever device the model is on (ganvae's callers
    pass CPU generators). Unseeded draws are made on `device` directly."""
    where = generator.device if generator is not None else device
    return draw(tuple(shape), generator=generator, device=where).to(device)
