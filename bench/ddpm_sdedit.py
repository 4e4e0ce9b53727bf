"""SDEdit denoising by the diffusion model (issue 20), measured: a `ganvae task denoise` run with vae and ddpm
read back (PSNR per Gaussian level, mean over seeds), plus the same trained ddpm restoring the same noisy
images with its noise level given (`restore_noise` = the true sigma) instead of estimated per image, and
the estimator's mean estimate per level. Steps, not wall-clock budgets: the machine is shared.

    ganvae task denoise --models vae,ddpm --steps 300 --images 256 \\
        --noise gaussian:0.1,gaussian:0.2,gaussian:0.4 --out /tmp/ddpm_bench/denoise
    python bench/ddpm_sdedit.py /tmp/ddpm_bench/denoise > bench/ddpm_sdedit.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ganvae.models.base import GenerativeModel
from ganvae.models.sdedit import noise_sigma
from ganvae.tasks.denoise import DenoiseConfig, Denoising, parse_noise, quality


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    run = parser.parse_args().run
    m = json.loads((run / "metrics.json").read_text())
    saved = m["config"]
    cfg = DenoiseConfig(data=saved["data"], images=saved["images"], noise=tuple(saved["noise"]))
    _, clean, _, noisy = Denoising(cfg, None, False).context()  # the task's very images and noise
    model = GenerativeModel.load(run / "models" / "ddpm-seed0")
    rows = {}
    for (_, level), (key, x) in zip(parse_noise(cfg.noise), noisy.items(), strict=True):
        model.with_sampling({"restore_noise": str(level)})
        given = model.restore(x, generator=torch.Generator().manual_seed(0))
        rows[key] = {
            "task_psnr": {k: v["psnr"][key]["mean"] for k, v in m["results"]["methods"].items()},
            "ddpm_sigma_given_psnr": quality(clean, given)["psnr"],
            "estimated_sigma_mean": float(noise_sigma(x).mean()),
        }
    print(json.dumps({"command": m.get("command", ""), "images": len(clean), "levels": rows}, indent=1))


if __name__ == "__main__":
    main()
