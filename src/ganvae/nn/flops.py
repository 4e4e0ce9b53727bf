"""Parameter and FLOP counts, for the matched-capacity table.

FLOPs come from PyTorch's own `FlopCounterMode` (it counts matmuls and convolutions, 2 FLOPs per
multiply-add), so no hand-written per-layer formulas to keep in sync with the networks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _embedding_bag_flops(weight_shape, indices_shape, *args, out_shape=None, **kwargs) -> int:
    # A weighted sum of rows (mult-vae's sparse input layer): one multiply-add per index and output
    # unit. FlopCounterMode has no formula for it and would count that layer as free.
    return 2 * indices_shape[0] * weight_shape[1]


EXTRA_FORMULAS = {  # the second is what embedding_bag runs under no_grad
    torch.ops.aten._embedding_bag: _embedding_bag_flops,
    torch.ops.aten._embedding_bag_forward_only: _embedding_bag_flops,
}


def flops_per_sample(fn: Callable[[int], object], batch: int = 8) -> float:
    """FLOPs of `fn(batch)` divided by `batch` (fn builds its own inputs of that batch size)."""
    with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=EXTRA_FORMULAS) as counter:
        fn(batch)
    return counter.get_total_flops() / batch


def capacity_table(model) -> list[dict[str, float | int | str]]:
    """Parameters and forward FLOPs per sample of each part of a model (see `GenerativeModel.parts`)."""
    rows = []
    was_training = model.training
    model.eval()
    for name, (modules, run) in model.parts().items():
        params = sum(count_parameters(m) for m in modules)
        rows.append({"part": name, "parameters": params, "flops": flops_per_sample(run)})
    model.train(was_training)
    return rows


def sampling_flops(model, batch: int = 2) -> float:
    """FLOPs per image of `model.sample` as configured (a diffusion model: every step of its sampler, twice
    the passes with guidance; a GAN or VAE: one generator / decoder pass), 0 for a model that cannot sample.
    """
    if "sample" not in model.capabilities:
        return 0.0
    was_training = model.training
    model.eval()
    flops = flops_per_sample(lambda b: model.sample(b, generator=torch.Generator().manual_seed(0)), batch)
    model.train(was_training)
    return flops
