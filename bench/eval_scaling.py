"""How evaluation cost grows with the number of evaluation samples, per metric, with peak memory.

`ganvae compare` evaluates every (model, seed) on `--samples` generated images against as many test
images. This script trains one small VAE on Fashion-MNIST (the time it takes is not the point), then for
each N times the pieces of `evaluate_model` that depend on N — sampling, feature extraction, FD, KID,
precision/recall/density/coverage and memorisation (both k-NN searches over batched distance blocks) —
and the whole `evaluate_model`, with the peak resident memory of each whole evaluation. The N x N distance
matrix that a naive k-NN would hold is printed beside it for scale. Prints JSON.

    python bench/eval_scaling.py --sizes 500,1000,2000,4000,8000 > bench/eval_scaling.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import date

import torch

from ganvae import metrics as M
from ganvae.data import load_images
from ganvae.evaluate.images import EvalConfig, Reference, evaluate_model
from ganvae.features import get_domain_classifier
from ganvae.models import build_model
from ganvae.training import TrainConfig, Trainer
from ganvae.training.memory import PeakMemory


class Timer:
    """`with Timer() as t: ...` then `t.s` (wall-clock seconds)."""

    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.s = time.perf_counter() - self.t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,1000,2000,4000,8000")
    ap.add_argument("--train-steps", type=int, default=200)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    data = load_images("fashion-mnist")
    with Timer() as clf_t:
        clf = get_domain_classifier(data)
    model = build_model("vae", data.shape)
    Trainer(TrainConfig(steps=args.train_steps, batch_size=64), progress=False).fit(model, data)
    model.eval()

    rows = []
    for n in sizes:
        t = {
            name: Timer() for name in ("reference", "sample", "features", "fd", "kid", "prdc", "mem", "eval")
        }
        with t["reference"]:
            ref = Reference(data, clf, EvalConfig(n_samples=n))
        with t["sample"], torch.no_grad():
            samples = model.sample(n, generator=torch.Generator().manual_seed(0))
        with t["features"]:
            feat = clf.features(samples)
        with t["fd"]:
            ref.fd(feat)
        with t["kid"]:
            g = torch.Generator().manual_seed(0)
            M.kernel_inception_distance(feat, ref.test_feat, subsets=50, subset_size=min(500, n), generator=g)
        with t["prdc"]:
            M.prdc(ref.test_feat, feat, k=5)
        with t["mem"]:
            M.memorisation(feat, ref.train_feat, ref.test_feat)
        with PeakMemory() as peak, t["eval"]:
            evaluate_model(model, ref)
        rows.append(
            {
                "n": n,
                "n_train_reference": len(ref.train_feat),
                **{f"{name}_s": timer.s for name, timer in t.items()},
                "evaluate_model_peak_mb": peak.mb,
                "naive_distance_matrix_mb": n * n * 4 / 2**20,
            }
        )
        print(json.dumps(rows[-1]), flush=True, file=sys.stderr)

    print(
        json.dumps(
            {
                "date": date.today().isoformat(),
                "machine": platform.processor() or platform.machine(),
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "classifier_s": clf_t.s,
                "classifier_accuracy": clf.accuracy_,
                "rows": rows,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
