"""The diffusion column (issue 20), measured: a comparison of vae, dcgan and ddpm read back into one JSON
(every figure per model, mean ± std over seeds), plus FD (domain features) of each trained ddpm against its
number of DDIM sampling steps, with the time and FLOPs per sample at each. Same samples (N = the test
split's evaluation size, seed 2024) and reference as `compare`; only `sample_steps` changes, on the same
trained weights. Steps, not wall-clock budgets: the machine is shared (its timings are noisy).

    ganvae compare --models vae,dcgan,ddpm --steps 300 --seeds 2 --out /tmp/ddpm_bench/digits
    python bench/ddpm_steps.py /tmp/ddpm_bench/digits --steps 10,25,50 > bench/ddpm_digits.json
    python bench/ddpm_steps.py runs/fm-3fam --steps 10,25,50,100 --models ddpm-seed0 > bench/ddpm_fm_5min.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ganvae.data import load_images
from ganvae.evaluate.images import SAMPLE_SEED, EvalConfig, Reference
from ganvae.features import get_domain_classifier
from ganvae.models.base import GenerativeModel, sample_in_batches
from ganvae.nn.flops import sampling_flops

FIGURES = (
    "fd", "fd_gap_closed", "kid", "precision", "recall", "coverage", "classes_covered", "class_kl",
    "sharpness_ratio", "memorisation_ratio", "recon_psnr", "probe_accuracy", "path_length_ratio",
    "decode_variance", "train_s", "images_per_s", "sample_s_per_image", "sample_mflops_per_image",
    "encode_s_per_image",
)  # fmt: skip


def summary(metrics: dict) -> dict:
    out = {}
    for model, s in metrics["summary"].items():
        row = {k: {"mean": s[k]["mean"], "std": s[k]["std"]} for k in FIGURES if k in s}
        row.update({k: s[k]["mean"] for k in s if k.startswith(("params_", "mflops_"))})
        out[model] = {"family": metrics["families"][model], **row}
    return out


def fd_against_steps(run: Path, steps: list[int], pattern: str = "ddpm-seed*") -> list[dict]:
    data = load_images(json.loads((run / "config.json").read_text())["compare"]["data"])
    ref = Reference(data, get_domain_classifier(data), EvalConfig())
    n, rows = len(ref.x_test), []
    for folder in sorted((run / "models").glob(pattern)):
        model = GenerativeModel.load(folder)
        for k in steps:
            model.with_sampling({"sample_steps": k})
            t0 = time.perf_counter()
            samples = sample_in_batches(model, n, generator=torch.Generator().manual_seed(SAMPLE_SEED))
            seconds = time.perf_counter() - t0
            rows.append(
                {
                    "run": folder.name,
                    "sample_steps": k,
                    "fd": ref.fd(ref.classifier.features(samples)),
                    "s_per_sample": seconds / n,
                    "mflops_per_sample": sampling_flops(model) / 1e6,
                    "n": n,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("--steps", default="10,25,50")
    # which trained ddpm folders to re-sample (on Fashion-MNIST each seed costs minutes per step count)
    parser.add_argument("--models", default="ddpm-seed*", help="a glob over the run's models/ folder")
    args = parser.parse_args()
    metrics = json.loads((args.run / "metrics.json").read_text())
    steps = [int(s) for s in args.steps.split(",")]
    result = {
        "command": metrics.get("command"),
        "budget": metrics["budget"],
        "seeds": metrics["seeds"],
        "eval": {k: metrics["eval"][k] for k in ("n_samples", "fd_floor", "fd_baseline")},
        "machine": "2-core CPU shared with other jobs (timings noisy)",
        "summary": summary(metrics),
        "claims": {c["number"]: c["verdict"] for c in metrics["claims"]},
        "fd_against_sample_steps": fd_against_steps(args.run, steps, args.models),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
