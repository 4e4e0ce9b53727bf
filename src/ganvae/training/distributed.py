"""Data-parallel training for the one loop: PyTorch DDP through Lightning Fabric's strategy (Li et al. 2020,
"PyTorch Distributed: Experiences on Accelerating Data Parallel Training").

A `GenerativeModel` is not one network driven by one optimizer: a GAN holds a generator and a discriminator
with an optimizer each, a VAE an encoder, a head and a decoder, and the model runs its own backward passes
inside `train_step`. DDP only all-reduces gradients of weights used through a wrapped module's *forward*,
so every direct sub-network with trainable weights is set up by Fabric (DDP-wrapped) and swapped into the
model while `train_step` runs (outside it, the model holds its plain sub-networks again: sample grids,
evaluation and saving see an ordinary model with unchanged state-dict keys). This handles what a GAN step
does: a sub-network called several times before one backward (D on real, fake and mixed images), a
backward only every n_critic steps (G), `autograd.grad` for WGAN-GP's penalty (it differentiates with
respect to the mixed images, not the weights, so no DDP hook fires before the real backward), and weights
frozen with `requires_grad_(False)` during the other player's step. Weights that belong to no sub-network
(e.g. a top-level `nn.Parameter`) get their gradients averaged with `fabric.all_reduce` after each backward.

Since every process starts from the same weights and applies the same averaged gradients with the same
optimizer, the weights stay identical on every process; `check_in_sync` verifies that at each checkpoint,
so a model that runs a sub-network outside its forward stops with a message instead of drifting silently.

What is per process, as with plain DDP: BatchNorm statistics (each process normalises over its share of the
batch; there is no SyncBatchNorm on CPU), random noise (each process draws its own, from a seed derived from
(seed, rank)), and buffers outside the sub-networks (a VAE's running log σ: the saved one is rank 0's).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ganvae.errors import GanvaeError
from ganvae.training.config import check_global_batch

RNG_CPU = "rng.ranks.cpu"
RNG_CUDA = "rng.ranks.cuda"
AGREE_EVERY = 10  # steps between two processes' decisions to stop (see DataParallel.agree_to_stop)


def rank_seed(seed: int, rank: int, step: int = 0) -> int:
    """The seed of process `rank`'s random stream (noise, dropout), fixed by the run's seed."""
    return (seed * 1_000_003 + 7_919 * (rank + 1) + 104_729 * step) % (2**63 - 1)


def _is_ddp(fabric: Any) -> bool:
    from lightning_fabric.strategies import DDPStrategy

    return isinstance(getattr(fabric, "strategy", None), DDPStrategy)


class DataParallel:
    """What the loop needs to train as one of `fabric.world_size` processes (a no-op with one)."""

    def __init__(self, fabric: Any, model: nn.Module, batch_size: int):
        self.fabric = fabric
        self.world_size = int(fabric.world_size)
        self.rank = int(fabric.global_rank)
        # one process under a forced DDP strategy (TrainConfig.strategy "ddp") runs the same code as several
        self.active = self.world_size > 1 or _is_ddp(fabric)
        self.is_global_zero = bool(fabric.is_global_zero)
        self._wrapped: dict[str, nn.Module] = {}
        self._loose: list[nn.Parameter] = []
        if self.active:
            check_global_batch(batch_size, self.world_size)
            self._wrap(model)

    def _wrap(self, model: nn.Module) -> None:
        covered: set[int] = set()
        for name, child in model.named_children():
            if any(p.requires_grad for p in child.parameters()):
                self._wrapped[name] = self.fabric.setup_module(child)
                covered.update(id(p) for p in child.parameters())
        self._loose = [p for p in model.parameters() if p.requires_grad and id(p) not in covered]

    # ---- during a step -------------------------------------------------------------------------
    @contextmanager
    def running(self, model: nn.Module):
        """Swap the DDP-wrapped sub-networks into `model` for one `train_step`."""
        if not self._wrapped:
            yield
            return
        plain = {name: model._modules[name] for name in self._wrapped}
        model._modules.update(self._wrapped)
        try:
            yield
        finally:
            model._modules.update(plain)

    def reduce_loose_grads(self, optimizer: torch.optim.Optimizer) -> None:
        """Average across processes the gradients DDP does not see (weights outside every sub-network)."""
        if not self._loose:
            return
        mine = {id(p) for group in optimizer.param_groups for p in group["params"]}
        grads = [p.grad for p in self._loose if id(p) in mine and p.grad is not None]
        if not grads:
            return
        flat = self.fabric.all_reduce(torch.cat([g.reshape(-1) for g in grads]), reduce_op="mean")
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def shard(self, idx: torch.Tensor) -> torch.Tensor:
        """This process's share of a global batch of indices (consecutive, disjoint, equal-sized)."""
        if not self.active:
            return idx
        local = len(idx) // self.world_size
        return idx[self.rank * local : (self.rank + 1) * local]

    def agree_to_stop(self, out_of_time: bool, signalled: bool, step: int) -> tuple[bool, bool]:
        """One decision for all processes: rank 0's clock, and a stop signal seen by any process.

        Processes that stopped at different steps would wait forever in each other's collectives. The
        decision is taken every `AGREE_EVERY` steps only: an all-reduce is a host-device sync, which would
        stall a GPU's queue once per step; a step budget needs no agreement (every process counts the same
        steps), and a wall-clock budget or a stop signal is honoured a few steps late."""
        if not self.active:
            return out_of_time, signalled
        if step % AGREE_EVERY:
            return False, False
        flags = torch.tensor(
            [float(out_of_time and self.is_global_zero), float(signalled)], device=self.fabric.device
        )
        flags = self.fabric.all_reduce(flags, reduce_op="sum")
        return bool(flags[0] > 0), bool(flags[1] > 0)

    def mean(self, sums: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The per-process log sums averaged over processes (every process returns the same values, so a
        NaN on one process stops all of them at the same step)."""
        if not self.active or not sums:
            return sums
        keys = sorted(sums)
        # each on the device first: a log a model keeps on the host (a GAN's aug_p) beside sums on a GPU
        # would make torch.stack fail on mixed devices
        dev = self.fabric.device
        stacked = torch.stack([torch.as_tensor(sums[k], dtype=torch.float32, device=dev) for k in keys])
        stacked = self.fabric.all_reduce(stacked, reduce_op="mean")
        return dict(zip(keys, stacked.cpu(), strict=True))

    # ---- at checkpoints ------------------------------------------------------------------------
    def check_in_sync(self, model: nn.Module, step: int) -> None:
        """Raise if the processes' weights differ (they are identical when every gradient was averaged)."""
        if not self.active:
            return
        with torch.no_grad():
            params = [p.detach().double() for p in model.parameters()]
            summary = torch.stack([torch.stack([p.sum(), p.pow(2).sum()]) for p in params]).flatten()
        every = self._gather(summary).cpu()  # world x 2n
        if not torch.allclose(every, every[:1].expand_as(every), rtol=1e-6, atol=1e-9, equal_nan=True):
            name = getattr(model, "registered_name", "") or type(model).__name__
            raise GanvaeError(
                f"the {self.world_size} processes' weights of {name} differ at step {step}: its train_step "
                "runs weights outside a sub-network's forward, so DDP cannot average their gradients; "
                "train it with --devices 1"
            )

    def rng_states(self) -> dict[str, torch.Tensor]:
        """Every process's RNG states gathered (for rank 0's checkpoint), so a resumed run goes on with
        the same noise in every process."""
        if not self.active:
            return {}
        dev = self.fabric.device
        out = {RNG_CPU: self._gather(torch.get_rng_state()).cpu()}
        if dev.type == "cuda":
            out[RNG_CUDA] = self._gather(torch.cuda.get_rng_state(dev)).cpu()
        return out

    def _gather(self, tensor: torch.Tensor) -> torch.Tensor:
        with warnings.catch_warnings():  # Fabric's all_gather uses a function torch marks deprecated
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            return self.fabric.all_gather(tensor.to(self.fabric.device))

    def restore_rng(self, tensors: dict[str, torch.Tensor], seed: int, step: int) -> None:
        """Restore this process's RNG states; with none saved for this number of processes (a run resumed
        on another count), reseed from (seed, rank, step) instead."""
        if not self.active:
            return
        cpu = tensors.get(RNG_CPU)
        if cpu is None or len(cpu) != self.world_size:
            torch.manual_seed(rank_seed(seed, self.rank, step))
            return
        # clone: set_rng_state reads a row of the stacked states from the start of its storage otherwise
        torch.set_rng_state(cpu[self.rank].to(torch.uint8).clone())
        cuda = tensors.get(RNG_CUDA)
        if cuda is not None and self.fabric.device.type == "cuda":
            torch.cuda.set_rng_state(cuda[self.rank].to(torch.uint8).clone(), self.fabric.device)
