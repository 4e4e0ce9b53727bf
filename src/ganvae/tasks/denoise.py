"""Denoising: corrupt test images, restore them with each model, and score the restoration against the
clean image (PSNR, and SSIM of Wang et al. 2004) per corruption and level.

Corruptions (`CORRUPTIONS`): additive Gaussian noise of standard deviation σ, salt-and-pepper impulses
on a fraction of the pixels, and a square mask (blind inpainting). Restoration is blind: no model is told
the corruption or where the mask lies.

- A VAE restores by encode → decode (posterior mean, then decoder mean). The denoising VAE (`dvae`, Im et
  al. 2017, "Denoising criterion for variational auto-encoding framework") is trained for this: noise on
  the encoder's input, clean target.
- A GAN has no encoder: it restores by projecting the corrupted image onto the generator's range, i.e.
  minimising ||G(z) - x_noisy||² over z and returning G(z) (the projection of Bora et al. 2017,
  "Compressed sensing using generative models"; the inversion of Creswell & Bharath 2018).
- A diffusion model (`ddpm`) restores SDEdit-style (Meng et al. 2022): the image is noised to the sampler
  step whose noise matches the noise it carries (estimated per image) and the reverse process runs from
  there (`GenerativeModel.restore`, `models/sdedit.py`).

Two baselines are scored the same way, so the report says whether a generative model beats doing almost
nothing: the corrupted image itself, and classical filters (3×3 median, Gaussian blur σ = 1 px).

>>> from ganvae.tasks.denoise import DenoiseConfig, run_denoise             # doctest: +SKIP
>>> run_denoise(DenoiseConfig(noise=("gaussian:0.2",)), "runs/denoise")     # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics.meta import Metric
from ganvae.plan import RunPlan
from ganvae.tasks.base import TaskExperiment, TaskFolder, load_task_images, task_run

Corruption = Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]

# The mask is filled with mid-gray 0.5, not 0: many datasets (digits, MNIST, Fashion-MNIST) have a black
# background, so a black square would vanish wherever it falls on background and the corruption's
# strength would depend on its position. Gray is wrong for every pixel of either polarity.
MASK_FILL = 0.5
GRID_IMAGES = 8
CLEAN = "none"  # the run key of reconstructing the uncorrupted images
PSNR_MEAN = Metric("psnr_mean", "PSNR after denoising, mean over corruptions", better="higher", unit="dB")


def gaussian(x: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
    """Additive Gaussian noise of standard deviation `level`, clamped to [0, 1]."""
    return (x + level * torch.randn(x.shape, generator=generator)).clamp(0.0, 1.0)


def salt_pepper(x: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
    """A fraction `level` of the pixels set to 0 or 1 (equally likely), the same pixels in every channel."""
    n, _, h, w = x.shape
    hit = torch.rand(n, 1, h, w, generator=generator) < level
    value = (torch.rand(n, 1, h, w, generator=generator) < 0.5).to(x.dtype)
    return torch.where(hit, value.expand_as(x), x)


def mask_side(level: float, height: int, width: int) -> int:
    """Side of the masked square: sqrt(level) · min(H, W), rounded, at least one pixel."""
    return max(1, min(height, width, round(math.sqrt(level) * min(height, width))))


def masked_square(x: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
    """A square of side ≈ sqrt(level)·min(H, W) at a random position per image, filled with MASK_FILL."""
    n, _, h, w = x.shape
    side = mask_side(level, h, w)
    top = torch.randint(0, h - side + 1, (n,), generator=generator)
    left = torch.randint(0, w - side + 1, (n,), generator=generator)
    out = x.clone()
    for i in range(n):
        out[i, :, top[i] : top[i] + side, left[i] : left[i] + side] = MASK_FILL
    return out


CORRUPTIONS: dict[str, Corruption] = {
    "gaussian": gaussian,
    "salt-pepper": salt_pepper,
    "mask": masked_square,
}
LEVEL_MEANING = {"gaussian": "σ", "salt-pepper": "pixel fraction", "mask": "area fraction"}


def parse_noise(specs: tuple[str, ...] | list[str]) -> list[tuple[str, float]]:
    """(name, level) of each spec "NAME:LEVEL", e.g. "gaussian:0.1"; every level lies in (0, 1].

    >>> parse_noise(["gaussian:0.1", "mask:0.25"])
    [('gaussian', 0.1), ('mask', 0.25)]
    """
    known = ", ".join(CORRUPTIONS)
    if not specs:
        raise ConfigError(f"--noise is empty; give e.g. gaussian:0.1,salt-pepper:0.1 (known: {known})")
    out: list[tuple[str, float]] = []
    for spec in specs:
        name, sep, text = str(spec).strip().partition(":")
        name = name.strip().lower()
        if name not in CORRUPTIONS:
            raise ConfigError(
                f"unknown corruption {name!r} in --noise; known corruptions: {known} "
                "(write e.g. gaussian:0.1)"
            )
        try:
            level = float(text)
        except ValueError:
            level = math.nan
        if not sep or not math.isfinite(level):
            raise ConfigError(f"--noise {spec!r} has no numeric level; write NAME:LEVEL, e.g. {name}:0.2")
        if not 0.0 < level <= 1.0:
            raise ConfigError(
                f"--noise {spec!r}: the level ({name} {LEVEL_MEANING[name]}) must lie in (0, 1]"
            )
        if (name, level) in out:
            raise ConfigError(f"--noise lists {name}:{level:g} twice")
        out.append((name, level))
    return out


def spec_label(name: str, level: float) -> str:
    return f"{name}:{level:g}"


def corrupt(x: torch.Tensor, name: str, level: float) -> torch.Tensor:
    """`x` corrupted by `name` at `level`, seeded by the spec alone: the same noise for every model and
    every run, and independent of the other corruptions asked for."""
    gen = torch.Generator().manual_seed(zlib.crc32(spec_label(name, level).encode()))
    return CORRUPTIONS[name](x.float().cpu(), level, gen)


def median_3x3(x: torch.Tensor) -> torch.Tensor:
    from scipy import ndimage

    return torch.from_numpy(ndimage.median_filter(x.numpy(), size=(1, 1, 3, 3), mode="reflect"))


def gaussian_blur(x: torch.Tensor) -> torch.Tensor:
    from scipy import ndimage

    return torch.from_numpy(ndimage.gaussian_filter(x.numpy(), sigma=(0, 0, 1, 1), mode="reflect"))


UNTOUCHED = "noisy input"  # the baseline that leaves the corrupted image as it is
SHOWN_BASELINE = "median 3x3"  # the baseline whose restorations the grids show
BASELINES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    UNTOUCHED: lambda x: x,
    SHOWN_BASELINE: median_3x3,
    "blur σ=1": gaussian_blur,
}


@dataclass
class DenoiseConfig(RunPlan):
    needs: ClassVar[frozenset[str]] = frozenset({"reconstruct"})
    models: tuple[str, ...] = ("vae", "dvae", "dcgan")
    seeds: int = 1
    noise: tuple[str, ...] = (
        "gaussian:0.1",
        "gaussian:0.2",
        "gaussian:0.4",
        "salt-pepper:0.1",
        "mask:0.25",
    )
    # GAN restoration optimises a code per image (~0.05-0.2 s each on CPU), so the default stays modest
    images: int = 256

    def validate(self) -> None:
        super().validate()
        parse_noise(self.noise)
        if self.images < 1:
            raise ConfigError("--images must be >= 1 (test images corrupted and restored)")


def _check_labels(cfg: DenoiseConfig, data: ImageData) -> None:
    """Conditional models need labels: refuse before anything is written."""
    from ganvae.config import apply_overrides
    from ganvae.registry import MODELS

    for name in cfg.models:
        preset = apply_overrides(MODELS.get(name).extra["preset"], cfg.overrides_for(name))
        if getattr(preset, "conditional", False) and not data.labelled:
            raise DataError(
                f"{name} is class-conditional but {data.name} has no labels; "
                "use an unconditional model such as vae or dcgan"
            )


def quality(clean: torch.Tensor, restored: torch.Tensor) -> dict[str, float]:
    """Mean per-image PSNR (dB) and SSIM of `restored` against `clean`."""
    from ganvae.metrics.reconstruction import psnr_per_image, ssim_per_image

    return {
        "psnr": float(psnr_per_image(clean, restored).mean()),
        "ssim": float(ssim_per_image(clean, restored).mean()),
    }


@task_run
def run_denoise(
    cfg: DenoiseConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train each model (and seed) on the data, restore corrupted test images, write the task folder."""
    from ganvae.report.sections import denoise as page

    cfg.validate()
    corruptions = parse_noise(cfg.noise)
    folder = TaskFolder(out, "denoise", cfg, command, resume=resume, overwrite=overwrite)
    experiment = Denoising(cfg, folder, progress)
    ctx = experiment.context()
    data, clean, _, noisy = ctx
    folder.start()

    runs: list[dict[str, Any]] = []
    shown: dict[str, dict[str, torch.Tensor]] = {k: {} for k in noisy}  # seed-0 restorations for grids
    for base, restore in BASELINES.items():
        for key, x in noisy.items():
            restored = restore(x)
            runs.append(
                {"method": base, "family": "baseline", "seed": 0, "noise": key, **quality(clean, restored)}
            )
            if base == SHOWN_BASELINE:
                shown[key][base] = restored[:GRID_IMAGES]
    jobs = [Job(name, seed) for name in cfg.models for seed in range(cfg.seeds)]
    for record in run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=ctx, progress=progress):
        if "shown" in record:  # the seed-0 restorations, kept in the job's record for the grids
            for key, images in record["shown"].items():
                shown[key][record["method"]] = torch.tensor(images)
        else:
            runs.append(record)
    results = summarise(runs, list(noisy), len(clean))
    page.draw_grids(folder.figures, clean[:GRID_IMAGES], noisy, shown)
    page.draw_level_plot(folder.figures / "psnr-gaussian.png", results, corruptions)
    section = page.section(
        results, corruptions, cfg, data.name, untouched=UNTOUCHED, shown_baseline=SHOWN_BASELINE
    )
    return folder.finish(data, results, section, verdicts=results["verdicts"])


class Denoising(TaskExperiment):
    """One runner job: train (or reuse) a model and restore every corruption of the same test images."""

    cfg: DenoiseConfig

    def context(self):
        """(data, clean test images, their labels, {corruption: corrupted images}): seeded by the spec, so
        every process builds the same."""
        data = load_task_images(self.cfg)
        _check_labels(self.cfg, data)
        n = min(self.cfg.images, len(data.x_test))
        pick = torch.randperm(len(data.x_test), generator=torch.Generator().manual_seed(0))[:n]
        clean = data.x_test[pick].float().cpu()
        labels = data.y_test[pick] if data.labelled else None
        noisy = {spec_label(c, lv): corrupt(clean, c, lv) for c, lv in parse_noise(self.cfg.noise)}
        return data, clean, labels, noisy

    def run(self, ctx, job: Job) -> list[dict[str, Any]]:
        data, clean, labels, noisy = ctx
        model = self.folder.model(self.cfg, job.model, data, job.seed, progress=self.progress)
        records: list[dict[str, Any]] = []
        shown: dict[str, list] = {}
        # the clean images too ("none"): a model restores no better than it reconstructs
        for key, x in {CLEAN: clean, **noisy}.items():
            t0 = time.perf_counter()
            # seeded by the job: a diffusion model's restoration draws noise (`GenerativeModel.restore`)
            gen = torch.Generator().manual_seed(job.seed)
            restored = model.restore(x, labels if model.num_classes else None, gen).detach().cpu()
            seconds = (time.perf_counter() - t0) / len(x)
            records.append(
                {
                    "method": job.model,
                    "family": model.family,
                    "seed": job.seed,
                    "noise": key,
                    **quality(clean, restored),
                    "restore_s_per_image": seconds,
                }
            )
            if job.seed == 0 and key != CLEAN:
                shown[key] = restored[:GRID_IMAGES].tolist()
        if shown:
            records.append({"method": job.model, "shown": shown})
        return records


def summarise(runs: list[dict[str, Any]], noise: list[str], n_images: int) -> dict[str, Any]:
    """Per method: PSNR and SSIM per corruption (mean ± std over seeds) and their mean over corruptions.
    `noise` (the corruptions' keys) keeps the order asked for: the report's section pairs it with them."""
    methods: dict[str, dict[str, Any]] = {}
    for method in dict.fromkeys(r["method"] for r in runs):
        rs = [r for r in runs if r["method"] == method]
        seeds = sorted({r["seed"] for r in rs})
        row: dict[str, Any] = {"family": rs[0]["family"], "psnr": {}, "ssim": {}}
        clean = [r for r in rs if r["noise"] == CLEAN]
        if clean:
            row["clean"] = {m: estimate([r[m] for r in clean]) for m in ("psnr", "ssim")}
        rs = [r for r in rs if r["noise"] != CLEAN]
        for metric in ("psnr", "ssim"):
            for key in noise:
                row[metric][key] = estimate([r[metric] for r in rs if r["noise"] == key])
            # mean over corruptions of each seed, then mean ± std over seeds
            row[f"{metric}_mean"] = estimate(
                [np.mean([r[metric] for r in rs if r["seed"] == s]) for s in seeds]
            )
        if "restore_s_per_image" in rs[0]:
            row["restore_s_per_image"] = float(np.mean([r["restore_s_per_image"] for r in rs]))
        methods[method] = row
    return {
        "images": n_images,
        "noise": noise,
        "methods": methods,
        "runs": runs,
        "verdicts": [_verdict(methods)],
    }


def _verdict(methods: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The compare report's denoising row: the best model by mean PSNR, against the other family's best."""
    models = {k: v for k, v in methods.items() if v["family"] != "baseline"}
    return use_case_row("reconstruction / denoising", PSNR_MEAN, models)
