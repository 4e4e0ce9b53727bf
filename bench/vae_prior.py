"""The VAE's prior hole, measured: the same trained VAEs sampled from N(0, I), from the ex-post mixture
fitted to their training codes (`prior=mixture`, Ghosh et al. 2020) and from the two-stage VAE's second
stage trained on their codes (`prior=two-stage`, Dai & Wipf 2019), evaluated alike (FD and every other
sample figure of `ganvae compare`). Writes JSON to stdout and one sample grid per prior and seed.

    python bench/vae_prior.py runs/fm --out bench/vae_prior > bench/vae_prior.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ganvae.data import load_images
from ganvae.evaluate.images import EvalConfig, Reference, evaluate_model
from ganvae.features import get_domain_classifier
from ganvae.grid import save_grid
from ganvae.models.base import GenerativeModel

FIGURES = ("fd", "kid", "precision", "recall", "coverage", "classes_covered", "class_kl", "sharpness_ratio")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path, help="a comparison folder with vae-seed* models")
    ap.add_argument("--out", type=Path, default=Path("bench/vae_prior"))
    args = ap.parse_args()
    meta = json.loads((args.run / "config.json").read_text())["compare"]
    data = load_images(meta["data"], image_size=meta["image_size"])
    ref = Reference(data, get_domain_classifier(data), EvalConfig())
    rows = []
    for folder in sorted((args.run / "models").glob("vae-seed*")):
        model = GenerativeModel.load(folder)
        t0 = time.perf_counter()
        model.fit_prior(data.x_train)  # what training now does when it ends
        fit_s = {"normal": 0.0, "mixture": time.perf_counter() - t0}
        t0 = time.perf_counter()
        model.fit_second_stage(data.x_train)  # what training does when it ends with prior=two-stage
        fit_s["two-stage"] = time.perf_counter() - t0
        for prior in ("normal", "mixture", "two-stage"):
            metrics, _ = evaluate_model(model.with_sampling({"prior": prior}), ref)
            rows.append(
                {
                    "model": folder.name,
                    "prior": prior,
                    "fit_s": fit_s[prior],
                    **{k: metrics[k] for k in FIGURES},
                }
            )
            args.out.mkdir(parents=True, exist_ok=True)
            grid = model.sample(64, generator=torch.Generator().manual_seed(0))
            save_grid(grid, args.out / f"{folder.name}-{prior}.png", nrow=8)
    print(json.dumps({"run": str(args.run), "data": meta["data"], "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
