"""Which CPU/GPU speed-ups pay for ganvae's image models: measured side by side, keep only what wins.

Issue 6 lists the usual candidates: `channels_last` memory format, fused Adam, `torch.compile`. This
script times `train_step` of each model under each variant on the same data, interleaving the variants
round by round (so a background load falls on all of them alike) and reporting the median images/s of
the rounds and its ratio to the plain variant. `torch.compile`'s one-off compile time is reported apart.
Prints JSON.

    python bench/speedups.py --models vae,dcgan --rounds 3 --steps 30 > bench/speedups.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import date

import torch
from throughput import DirectOptimizers  # bench/throughput.py

from ganvae.models import build_model

VARIANTS = ("plain", "channels_last", "fused_adam", "channels_last+fused_adam", "compile")


def _fused(opts: dict[str, torch.optim.Optimizer]) -> dict[str, torch.optim.Optimizer]:
    out = {}
    for name, opt in opts.items():
        group = {k: v for k, v in opt.param_groups[0].items() if k not in ("params", "fused", "foreach")}
        out[name] = type(opt)([p for g in opt.param_groups for p in g["params"]], **group, fused=True)
    return out


def build(name: str, variant: str, shape, classes: int):
    """(model, optimizers, input memory format) for one variant."""
    torch.manual_seed(0)
    model = build_model(name, shape, classes).train()
    fmt = torch.contiguous_format
    if "channels_last" in variant:
        model = model.to(memory_format=torch.channels_last)
        fmt = torch.channels_last
    opts = model.configure_optimizers()
    if "fused_adam" in variant:
        opts = _fused(opts)
    if variant == "compile":
        for attr, module in list(model.named_children()):
            if any(p.requires_grad for p in module.parameters()):
                setattr(model, attr, torch.compile(module))
    return model, DirectOptimizers(opts), fmt


def images_per_s(model, opts, fmt, batches, steps: int, first_step: int) -> float:
    t = time.perf_counter()
    for i in range(steps):
        x, y = batches[i % len(batches)]
        model.train_step(x.contiguous(memory_format=fmt), y, opts, first_step + i)
    return steps * len(batches[0][0]) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="vae,dcgan")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--size", type=int, default=28)
    args = ap.parse_args()
    shape, classes = (1, args.size, args.size), 10
    g = torch.Generator().manual_seed(0)
    batches = [
        (
            torch.rand(args.batch_size, *shape, generator=g),
            torch.randint(classes, (args.batch_size,), generator=g),
        )
        for _ in range(4)
    ]
    variants = args.variants.split(",")
    results = []
    for name in args.models.split(","):
        built, warm_s, rates = {}, {}, {v: [] for v in variants}
        for v in variants:
            model, opts, fmt = build(name, v, shape, classes)
            t = time.perf_counter()
            images_per_s(model, opts, fmt, batches, 3, 0)  # warm-up; for compile, the compilation itself
            warm_s[v] = time.perf_counter() - t
            built[v] = (model, opts, fmt)
        for r in range(args.rounds):
            for v in variants:
                rates[v].append(images_per_s(*built[v], batches, args.steps, 3 + r * args.steps))
        base = statistics.median(rates["plain"]) if "plain" in rates else None
        for v in variants:
            med = statistics.median(rates[v])
            results.append(
                {
                    "model": name,
                    "variant": v,
                    "images_per_s": round(med, 1),
                    "ratio_to_plain": round(med / base, 3) if base else None,
                    "warmup_s": round(warm_s[v], 2),
                    "rounds": [round(x, 1) for x in rates[v]],
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(
        json.dumps(
            {
                "date": date.today().isoformat(),
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "batch_size": args.batch_size,
                "shape": list(shape),
                "steps_per_round": args.steps,
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
