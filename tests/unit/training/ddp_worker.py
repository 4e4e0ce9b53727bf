"""Runs `ganvae` commands in one multi-process launch, with test-only patches; used by test_ddp.py.

    python ddp_worker.py PATCHES -- train vae ... [--- PATCHES -- train dcgan ...]

Fabric's launcher re-runs this script (same arguments, same environment) for each extra process, so every
process applies the same patches. Several commands share one launch because starting the processes
(importing torch and Lightning) costs far more than a few training steps on digits.

Patches (comma-separated; "none" for none):
- exact: make a 2-process run computable by 1 process, so weights can be compared tightly. DDP keeps
  two things per process by design: BatchNorm statistics (each process normalises over its half of the
  batch) and random noise (each process draws its own). `exact` swaps BatchNorm for a per-sample norm
  (GroupNorm with one group, whose output for an image does not depend on the other images of the batch)
  and derives every sample's noise from its position in the *global* batch: call k of the training noise
  draws one table of world_size x n rows from a generator seeded with k, and each process takes its rows.
  DiffAugment's uniforms (one `draw` per call) are keyed the same way, so its augmentations match too.
- nosync: the negative control. No sub-network is DDP-wrapped (so no gradient is averaged) and the
  in-sync check is off, as if the loop did not synchronise; the weights rank 0 saves must then differ.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch


class GlobalNoise:
    """Training noise keyed by the global sample index (see `exact` above)."""

    def __init__(self) -> None:
        self.calls = 0

    def rows(self, n: int, rest: tuple[int, ...], draw=torch.randn) -> torch.Tensor:
        world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
        rank = torch.distributed.get_rank() if world > 1 else 0
        g = torch.Generator().manual_seed(10_000 + self.calls)
        self.calls += 1
        return draw(n * world, *rest, generator=g)[rank * n : (rank + 1) * n]


def apply(patches: str, setattr_: Callable[[object, str, object], None]) -> None:
    """Apply `patches` with `setattr_` (plain setattr here, pytest's monkeypatch.setattr in a test)."""
    names = {p for p in patches.split(",") if p and p != "none"}
    if "exact" in names:
        from ganvae.models.base import GenerativeModel

        noise = GlobalNoise()
        latent, randn_like = GenerativeModel.latent, torch.randn_like

        def keyed_latent(self, n, generator=None):
            if generator is not None:  # sample grids: a fixed noise of their own
                return latent(self, n, generator)
            return noise.rows(n, (self.latent_dim,)).to(self.device)

        def keyed_randn_like(t, *args, **kwargs):
            if t.dim() != 2 or args or kwargs:  # only the VAE's reparameterisation noise (N x latent)
                return randn_like(t, *args, **kwargs)
            return noise.rows(t.shape[0], tuple(t.shape[1:])).to(t)

        from ganvae.nn import diffaugment

        augment_draw = diffaugment.draw

        def keyed_draw(n, k, device, generator=None):
            if generator is not None:
                return augment_draw(n, k, device, generator)
            return noise.rows(n, (k,), torch.rand).to(device)

        setattr_(GenerativeModel, "latent", keyed_latent)
        setattr_(diffaugment, "draw", keyed_draw)
        setattr_(torch, "randn_like", keyed_randn_like)
        setattr_(torch.nn, "BatchNorm2d", lambda channels, *a, **k: torch.nn.GroupNorm(1, channels))
    if "nosync" in names:
        from ganvae.training.distributed import DataParallel

        setattr_(DataParallel, "_wrap", lambda self, model: None)
        setattr_(DataParallel, "check_in_sync", lambda self, model, step: None)


def main(argv: list[str]) -> None:
    from ganvae.cli import main as ganvae

    segments: list[list[str]] = [[]]
    for arg in argv:
        if arg == "---":
            segments.append([])
        else:
            segments[-1].append(arg)
    for segment in segments:
        patches, sep, command = segment[0], segment[1], segment[2:]
        assert sep == "--", segment
        undo: list[tuple[object, str, object]] = []

        def patch(obj, name, value, undo=undo):
            undo.append((obj, name, getattr(obj, name)))
            setattr(obj, name, value)

        apply(patches, patch)
        try:
            ganvae(command)
        except SystemExit as exc:
            if exc.code:
                raise
        finally:
            for obj, name, value in reversed(undo):
                setattr(obj, name, value)


if __name__ == "__main__":
    main(sys.argv[1:])
