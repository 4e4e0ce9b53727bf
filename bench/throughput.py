"""Training throughput of every image model against the machine's fp32 matmul ceiling, in one run.

For each registered image model on 28x28 one-channel data (Fashion-MNIST's shape): images/s through the
real training loop (`Trainer`), FLOPs per training step counted by PyTorch's FlopCounterMode (forward and
backward of one `train_step`), hence achieved GFLOP/s, and that as a fraction of a 2048x2048 fp32 matmul
measured in the same process on the same threads. Prints JSON.

    python bench/throughput.py --steps 60 --batch-size 128 > bench/throughput.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganvae.data.images import ImageData
from ganvae.models import build_model
from ganvae.registry import MODELS
from ganvae.training import TrainConfig, Trainer


def matmul_ceiling(n: int = 2048, repeats: int = 10) -> float:
    """Best-of-`repeats` fp32 GFLOP/s of an n x n matmul on the current threads."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


class DirectOptimizers:
    """The loop's `Optimizers` interface without Fabric: backward + step in plain PyTorch (so that
    FlopCounterMode sees them, and so that benchmarks can time `train_step` alone)."""

    def __init__(self, opts):
        self.opts = opts

    def __getitem__(self, name):
        return self.opts[name]

    def step(self, name, loss):
        self.opts[name].zero_grad(set_to_none=True)
        loss.backward()
        self.opts[name].step()


def flops_per_image(name: str, shape, batch: int, classes: int) -> float:
    """Average FLOPs per training image over a full n_critic cycle of train_step calls."""
    torch.manual_seed(0)
    model = build_model(name, shape, classes).train()
    if getattr(model.config, "loss", None) == "wgan-gp":
        # FlopCounterMode cannot trace the gradient penalty's autograd.grad, so count the same networks and
        # critic schedule without it: the figure (and the GFLOP/s derived from it) is a lower bound.
        model = build_model(name, shape, classes, {"loss": "hinge"}).train()
    opt = DirectOptimizers(model.configure_optimizers())
    cycle = getattr(model.config, "n_critic", 1)
    x, y = torch.rand(batch, *shape), torch.randint(classes, (batch,))
    with FlopCounterMode(display=False) as counter:
        for step in range(cycle):
            model.train_step(x, y, opt, step)
    return counter.get_total_flops() / (batch * cycle)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=128)
    images = [e.name for e in MODELS if e.factory.data_kind == "images"]
    parser.add_argument("--models", default=",".join(images))
    parser.add_argument("--size", type=int, default=28)
    args = parser.parse_args()

    shape, classes = (1, args.size, args.size), 10
    g = torch.Generator().manual_seed(0)
    n = args.batch_size * 8
    x = torch.rand(n, *shape, generator=g)
    y = torch.randint(classes, (n,), generator=g)
    data = ImageData("bench", x, x[:64], y, y[:64])

    ceiling = matmul_ceiling()
    rows = []
    for name in args.models.split(","):
        torch.manual_seed(0)
        model = build_model(name, shape, classes)
        cfg = TrainConfig(steps=args.steps, batch_size=args.batch_size, log_every=args.steps)
        Trainer(TrainConfig(steps=3, batch_size=args.batch_size), progress=False).fit(model, data)  # warm-up
        trainer = Trainer(cfg, progress=False).fit(model, data)
        ips = trainer.state_.images_seen / trainer.state_.elapsed_s
        fpi = flops_per_image(name, shape, args.batch_size, classes)
        gflops = ips * fpi / 1e9
        rows.append(
            {
                "model": name,
                "images_per_s": round(ips, 1),
                "gflop_per_image": round(fpi / 1e9, 4),
                "flops_note": "lower bound: gradient penalty not counted" if "wgan" in name else "",
                "achieved_gflops": round(gflops, 1),
                "fraction_of_matmul": round(gflops / ceiling, 3),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # progress; stdout holds the final JSON
    ceiling_after = matmul_ceiling()
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "matmul_fp32_gflops_before": round(ceiling, 1),
                "matmul_fp32_gflops_after": round(ceiling_after, 1),
                "shape": list(shape),
                "batch_size": args.batch_size,
                "steps": args.steps,
                "results": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
