"""The generator's EMA, measured: the same trained GANs of a comparison drawn by their EMA generator and by
the raw (trained) one (`generator=ema|raw`), evaluated alike (FD and every other sample figure of
`ganvae compare`). The EMA never touches training (the raw weights of an EMA run equal those of an
`ema_decay=0` run bit for bit, checked when this was written), so each pair is the same run with and
without the EMA, and their difference is free of training noise. Writes JSON to stdout and one sample
grid per generator and run.

    ganvae compare --models dcgan --steps 300 --seeds 2 --out /tmp/ema -q
    python bench/gan_ema.py /tmp/ema --out bench/gan_ema > bench/gan_ema.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ganvae.data import load_images
from ganvae.evaluate.images import EvalConfig, Reference, evaluate_model
from ganvae.features import get_domain_classifier
from ganvae.grid import save_grid
from ganvae.models.base import GenerativeModel, read_config

FIGURES = (
    "fd",
    "kid",
    "precision",
    "recall",
    "density",
    "coverage",
    "class_kl",
    "sharpness_ratio",
    "recon_psnr",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", type=Path, nargs="+", help="comparison folders with GAN models")
    ap.add_argument("--out", type=Path, default=Path("bench/gan_ema"))
    args = ap.parse_args()
    out = []
    for run in args.runs:
        meta = json.loads((run / "config.json").read_text())["compare"]
        data = load_images(meta["data"], image_size=meta["image_size"])
        ref = Reference(data, get_domain_classifier(data), EvalConfig())
        rows = []
        for folder in sorted((run / "models").iterdir()):
            if read_config(folder).get("family") != "gan":
                continue
            model = GenerativeModel.load(folder)
            for which in ("ema", "raw"):
                metrics, _ = evaluate_model(model.with_sampling({"generator": which}), ref)
                rows.append({"model": folder.name, "generator": which, **{k: metrics[k] for k in FIGURES}})
                args.out.mkdir(parents=True, exist_ok=True)
                grid = model.sample(64, generator=torch.Generator().manual_seed(0))
                save_grid(grid, args.out / f"{run.name}-{folder.name}-{which}.png", nrow=8)
        settings = {}  # what each GAN trained with (diffaug as settled from the data)
        for folder in sorted((run / "models").iterdir()):
            cfg = read_config(folder)["config"]
            settings[folder.name] = {k: cfg[k] for k in ("ema_decay", "diffaug", "r1_weight") if k in cfg}
        budget = {k: meta[k] for k in ("steps", "epochs", "budget_s") if meta.get(k) is not None}
        out.append(
            {"run": str(run), "data": meta["data"], "budget": budget, "settings": settings, "rows": rows}
        )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
