"""Training throughput of every trainable model against the machine's fp32 matmul ceiling, in one run.

For each registered model, on data of its kind: samples/s through the real training loop (`Trainer`),
FLOPs per training sample counted by PyTorch's FlopCounterMode (forward and backward of a full
`train_step` cycle), hence achieved GFLOP/s, and that as a fraction of a 2048x2048 fp32 matmul measured
in the same process on the same threads just before and just after that model's run (the mean of the
two; the ceiling of a shared virtual machine drifts by 10-20 % within minutes, so each model is set
against its own window). Image models train on 28x28 one-channel noise (Fashion-MNIST's
shape; speed does not depend on the pixels) at `--batch-size`; table models on credit-data at batch 500
(ctgan's default, as in bench/ctgan_peer.py); recommenders on ml-100k's RecBole split at batch 100 users
(`ganvae task recommend`'s default). Each model runs in its own process. Peak memory is the
process's resident peak over the warm-up and timed runs (`ganvae.training.memory`: reset at their start)
beside the resident set just before them (data loaded, model built, Fabric imported), so their difference
is what training itself added. Prints JSON.

    python bench/throughput.py --steps 40 --batch-size 128 > bench/throughput.json
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganvae.data.images import ImageData
from ganvae.models import build_model
from ganvae.nn.flops import EXTRA_FORMULAS
from ganvae.registry import MODELS
from ganvae.training import TrainConfig, Trainer
from ganvae.training.memory import PeakMemory, resident_mb


def matmul_ceiling(
    n: int = 2048, repeats: int = 10, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> float:
    """Best-of-`repeats` GFLOP/s of an n x n matmul (fp32 on the current CPU threads by default; on CUDA
    each timing ends in a device sync)."""
    device = torch.device(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda *a: None)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b  # warm-up
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        sync(device)
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


# FlopCounterMode cannot trace a gradient penalty's autograd.grad, so the FLOPs of models that use one are
# counted on the same networks and critic schedule without it: those figures are lower bounds.
WITHOUT_PENALTY = {"wgan-gp": {"loss": "hinge"}, "tabular-gan": {"gp_weight": 0.0}}


def flops_per_sample(name: str, data, batch: int, overrides: dict | None = None) -> float:
    """Average FLOPs per training sample over a full n_critic cycle of train_step calls (`overrides`: config
    values, e.g. a narrower width)."""
    torch.manual_seed(0)
    context = getattr(data, "context", None)  # tables: the fitted transformer
    settings = {**(overrides or {}), **WITHOUT_PENALTY.get(name, {})}
    model = build_model(name, data.shape, data.num_classes, settings, context=context)
    model.train().prepare_training(data.x_train)
    opt = DirectOptimizers(model.configure_optimizers())
    cycle = getattr(model.config, "n_critic", 1)
    x = data.x_train[:batch]
    y = data.y_train[:batch] if data.y_train is not None else None
    with FlopCounterMode(display=False, custom_mapping=EXTRA_FORMULAS) as counter:
        for step in range(cycle):
            model.train_step(x, y, opt, step)
    return counter.get_total_flops() / (len(x) * cycle)


def image_data(size: int, batch: int):
    shape, classes = (1, size, size), 10
    g = torch.Generator().manual_seed(0)
    n = batch * 8
    x = torch.rand(n, *shape, generator=g)
    y = torch.randint(classes, (n,), generator=g)
    return ImageData("noise", x, x[:64], y, y[:64])


def table_data(size: int, batch: int):
    from ganvae.data.tables import load_table
    from ganvae.data.tables.table_data import prepare_table

    return prepare_table(load_table("credit-data"), seed=0)


def interaction_data(size: int, batch: int):
    from ganvae.data.interactions import load_interactions

    return load_interactions("ml-100k", split="recbole")


# data kind -> (data builder, batch size or None for --batch-size, unit)
DATA = {
    "images": (image_data, None, "images"),
    "table": (table_data, 500, "rows"),
    "interactions": (interaction_data, 100, "users"),
}


def measure(name: str, kind: str, args: argparse.Namespace) -> dict:
    """One model's row: speed against the matmul window around its timed run, FLOPs, memory."""
    build, batch, unit = DATA[kind]
    batch = batch or args.batch_size
    data = build(args.size, batch)
    torch.manual_seed(0)
    model = build_model(name, data.shape, data.num_classes, context=getattr(data, "context", None))
    cfg = TrainConfig(steps=args.steps, batch_size=batch, log_every=args.steps)
    import lightning_fabric  # noqa: F401  (the loop imports it lazily; its ~200 MiB of modules is not training)

    rss = resident_mb()  # data loaded, model built, Fabric imported, nothing trained yet
    with PeakMemory() as peak:  # over the warm-up too: its first step creates the optimiser states
        Trainer(TrainConfig(steps=3, batch_size=batch), progress=False).fit(model, data)  # warm-up
        before = matmul_ceiling()
        trainer = Trainer(cfg, progress=False).fit(model, data)
        after = matmul_ceiling()
    ceiling = (before + after) / 2
    sps = trainer.state_.images_seen / trainer.state_.elapsed_s
    fps = flops_per_sample(name, data, batch)
    gflops = sps * fps / 1e9
    return {
        "model": name,
        "data": data.name,
        "shape": list(data.shape),
        "batch_size": batch,
        "unit": unit,
        "samples_per_s": round(sps, 1),
        "gflop_per_sample": round(fps / 1e9, 5),
        "flops_note": "lower bound: gradient penalty not counted" if name in WITHOUT_PENALTY else "",
        "achieved_gflops": round(gflops, 1),
        "matmul_fp32_gflops": round(ceiling, 1),
        "matmul_fp32_gflops_range": [round(min(before, after), 1), round(max(before, after), 1)],
        "fraction_of_matmul": round(gflops / ceiling, 3),
        "peak_memory_mb": round(peak.mb, 1),
        "peak_memory_kind": peak.kind,
        "resident_before_mb": None if rss is None else round(rss, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=128, help="for the image models")
    trainable = [e.name for e in MODELS if e.factory.data_kind in DATA and e.factory.family != "baseline"]
    parser.add_argument("--models", default=",".join(trainable))
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a worker: one row, in-process
    args = parser.parse_args()

    kinds = {e.name: e.factory.data_kind for e in MODELS}
    if args.one:
        print(json.dumps(measure(args.models, kinds[args.models], args)))
        return
    ceiling_start = matmul_ceiling()
    rows = []
    for name in args.models.split(","):
        # Each model in a fresh process: memory the allocator kept from an earlier model would otherwise
        # hide this one's peak (a run reuses it without raising the resident set)
        argv = [sys.executable, __file__, "--one", "--models", name, "--steps", str(args.steps)]
        argv += ["--batch-size", str(args.batch_size), "--size", str(args.size)]
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # progress; stdout holds the final JSON
    ceiling_after = matmul_ceiling()
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "matmul_fp32_gflops_before": round(ceiling_start, 1),
                "matmul_fp32_gflops_after": round(ceiling_after, 1),
                "steps": args.steps,
                "results": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
