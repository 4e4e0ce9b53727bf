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

from ganvae.data.table_data import prepare_table  # noqa: E402
from ganvae.models.base import build_model  # noqa: E402
from ganvae.nn.tabular import _gumbel, _noise  # noqa: E402
from ganvae.tasks.synthesize import evaluate_rows  # noqa: E402
from ganvae.training import TrainConfig, Trainer  # noqa: E402


def tempered_draw(model, temperature: float):
    """`sample_encoded` with the categorical draws at `temperature`: `SpanLayout.draw` with its logits
    divided by T (T = 1 is `draw` itself, the Gaussian on each alpha unchanged)."""
    layout = model.layout

    def sample_encoded(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raw = model.decoder(model.latent(n, generator))
        idx = layout._on(raw.device)
        alpha = torch.tanh(raw[:, idx.tanh])
        parts = [alpha + _noise(torch.randn, alpha.shape, generator, raw.device) * model.sigma]
        logits = layout._logits(raw, idx) / temperature
        pick = (logits + _gumbel(logits.shape, generator, raw.device)).argmax(-1, keepdim=True)
        parts.append(torch.zeros_like(logits).scatter_(-1, pick, 1.0).flatten(1)[:, idx.valid])
        return torch.cat(parts, 1)[:, idx.inverse]

    return sample_encoded


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
        for decoding in ["argmax", *temperatures]:
            if decoding == "argmax":
                model.with_sampling({"categorical": "argmax"})
            else:
                model.with_sampling({"categorical": "sample"})
                model.sample_encoded = tempered_draw(model, decoding)
            rows = model.sample(len(table.train), generator=torch.Generator().manual_seed(seed))
            model.__dict__.pop("sample_encoded", None)  # back to the class's method
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
