"""How tabular-vae's decoding of categories trades fidelity against utility (issue 6, BENCHMARKS.md).

One trained model per seed, decoded several ways from the same codes: the categories (and each number's
mode) drawn from softmax(logits / T) for each temperature T (T = 1 is ganvae's default, `categorical=
sample`), and their argmax (T -> 0, TVAE's decoding, `categorical=argmax`). Every table of rows is scored
by ganvae's own `evaluate_rows` (SDMetrics-style quality, train-synthetic-test-real utility ratio). The
data and its split are the ctgan comparison's (`load_bench_table`), so figures line up with it.

Temperature is measured here, not offered by ganvae: it does not interpolate utility (BENCHMARKS.md).

    PYTHONPATH=src OMP_WAIT_POLICY=PASSIVE python bench/tabular_decoding.py \
        --data credit-data --epochs 300 --seeds 0,1,2 > bench/tabular_decoding.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import date
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ctgan_peer import BATCH, load_bench_table  # noqa: E402  (the same table and split as that bench)

from ganvae.data.tables.table_data import prepare_table  # noqa: E402
from ganvae.evaluate.tables import evaluate_rows  # noqa: E402
from ganvae.models.base import build_model  # noqa: E402
from ganvae.models.tabular import sample_frame  # noqa: E402
from ganvae.training import TrainConfig, Trainer  # noqa: E402


@torch.no_grad()
def draw_rows(model, n: int, decoding, generator: torch.Generator):
    """n rows of `model` (a trained tabular-vae) decoded by `decoding`: "argmax", or a temperature T for
    the categorical draws. `SpanLayout.draw` with its softmax columns' logits divided by T (alpha columns
    untouched); T = 1 is the model's own `sample`."""
    layout = model.layout

    def encoded(b: int, _condition) -> torch.Tensor:
        raw = model.decoder(model.latent(b, generator))
        if decoding == "argmax":
            return layout.draw(raw, model.sigma, generator, argmax=True)
        raw[:, layout.soft_columns.to(raw.device)] /= decoding
        return layout.draw(raw, model.sigma, generator)

    return sample_frame(model.transformer, n, encoded)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="credit-data")
    p.add_argument("--subsample", type=int, default=0)
    p.add_argument("--epochs", type=float, default=300)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--temperatures", default="1,0.7,0.5,0.3")
    args = p.parse_args()
    torch.set_num_threads(2)
    table, _ = load_bench_table(args.data, args.subsample)
    temperatures = [float(t) for t in args.temperatures.split(",")]
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        data = prepare_table(table, seed=seed)
        torch.manual_seed(seed)
        model = build_model("tabular-vae", data.shape, context=data.context)
        Trainer(TrainConfig(epochs=args.epochs, batch_size=BATCH, seed=seed), progress=False).fit(model, data)
        model.eval()
        for decoding in ["argmax", *temperatures]:
            rows = draw_rows(model, len(table.train), decoding, torch.Generator().manual_seed(seed))
            f = evaluate_rows(table.train, rows, table.test, table.kinds, table.target, seed)
            run = {"seed": seed, "decoding": decoding, "quality": f["quality"], "utility": f["utility_ratio"]}
            runs.append(run)
            print(json.dumps(run), file=sys.stderr, flush=True)
    figures = ("quality", "utility")
    summary = {
        str(d): {k: float(np.mean([r[k] for r in runs if r["decoding"] == d])) for k in figures}
        for d in ["argmax", *temperatures]
    }
    meta = {"date": str(date.today()), "machine": platform.processor() or platform.machine(), **vars(args)}
    json.dump({"meta": meta, "summary": summary, "runs": runs}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
