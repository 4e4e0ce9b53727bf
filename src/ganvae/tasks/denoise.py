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
from typing import Any

import numpy as np
import torch

from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import HOLDS, against_bound, estimate, row_sentence, use_case_row
from ganvae.grid import save_grid
from ganvae.metrics.meta import Metric
from ganvae.plan import RunPlan
from ganvae.report.env import fmt
from ganvae.tasks.base import (
    Section,
    TaskExperiment,
    TaskFolder,
    load_task_images,
)

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


def describe(name: str, level: float) -> str:
    """Readable corruption name for tables and captions."""
    if name == "gaussian":
        return f"Gaussian σ={level:g}"
    if name == "salt-pepper":
        return f"salt & pepper {100 * level:g} %"
    return f"mask {100 * level:g} % area"


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


BASELINES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "noisy input": lambda x: x,
    "median 3x3": median_3x3,
    "blur σ=1": gaussian_blur,
}


@dataclass
class DenoiseConfig(RunPlan):
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


def run_denoise(
    cfg: DenoiseConfig, out: str | Path, *, progress: bool = True, command: str = ""
) -> dict[str, Any]:
    """Train each model (and seed) on the data, restore corrupted test images, write the task folder."""
    cfg.validate()
    corruptions = parse_noise(cfg.noise)
    folder = TaskFolder(out, "denoise", cfg, command)
    experiment = Denoising(cfg, folder, progress and cfg.jobs == 1)
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
            if base == "median 3x3":
                shown[key][base] = restored[:GRID_IMAGES]
    jobs = [Job(name, seed) for name in cfg.models for seed in range(cfg.seeds)]
    for record in run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=ctx):
        if "shown" in record:  # the seed-0 restorations, kept in the job's record for the grids
            for key, images in record["shown"].items():
                shown[key][record["method"]] = torch.tensor(images)
        else:
            runs.append(record)
    results = summarise(runs, list(noisy), len(clean))
    _grids(folder.figures, clean[:GRID_IMAGES], noisy, shown)
    _level_plot(folder.figures / "psnr-gaussian.png", results, corruptions)
    section = _section(results, corruptions, cfg, data)
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
            restored = model.reconstruct(x, labels if model.num_classes else None).detach().cpu()
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
    """Per method: PSNR and SSIM per corruption (mean ± std over seeds) and their mean over corruptions."""
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


def _file(key: str) -> str:
    return "denoise-" + key.replace(":", "-") + ".png"


def _grids(figures: Path, clean: torch.Tensor, noisy: dict[str, torch.Tensor], shown) -> None:
    """One grid per corruption: rows clean / noisy / median 3x3 / each model's restoration (seed 0)."""
    for key, x in noisy.items():
        rows = [clean, x[: len(clean)], *shown[key].values()]
        save_grid(torch.cat(rows), figures / _file(key), nrow=len(clean))


def _level_plot(path: Path, results: dict[str, Any], corruptions: list[tuple[str, float]]) -> None:
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    levels = sorted(lv for c, lv in corruptions if c == "gaussian")
    if len(levels) < 2:
        return
    keys = [spec_label("gaussian", lv) for lv in levels]
    lines, families = {}, {"baseline": "baseline"}
    for name, row in results["methods"].items():
        means = [row["psnr"][k]["mean"] for k in keys]
        if row["family"] == "baseline":
            lines[f"baseline {name}"] = (levels, means, None)
        else:
            families[name] = row["family"]
            lines[name] = (levels, means, [row["psnr"][k]["std"] or 0.0 for k in keys])
    plots.series(
        path,
        lines,
        "Gaussian noise σ",
        "PSNR against clean (dB)",
        "Denoising: PSNR against noise level",
        families=families,
    )


def _findings(results: dict[str, Any], corruptions: list[tuple[str, float]]) -> list[str]:
    methods = results["methods"]
    models = [m for m, r in methods.items() if r["family"] != "baseline"]
    baselines = [m for m, r in methods.items() if r["family"] == "baseline"]
    out = [row_sentence(results["verdicts"][0], "mean PSNR (dB) over the corruptions")]
    for name, level in corruptions:
        key = spec_label(name, level)
        psnr = {m: methods[m]["psnr"][key] for m in methods}
        top = max(models, key=lambda m: psnr[m]["mean"])
        base = max(baselines, key=lambda m: psnr[m]["mean"])
        gap = psnr[top]["mean"] - psnr[base]["mean"]
        line = f"{describe(name, level)}: best model {top} at {fmt(psnr[top]['mean'], psnr[top]['std'])} dB"
        if gap > 0:
            line += f", {gap:.2g} dB above the best baseline ({base}, {fmt(psnr[base]['mean'])} dB)"
            # a baseline filter is deterministic: the model's seeds against its one value
            if against_bound(psnr[top], above=psnr[base]["mean"]) != HOLDS:
                line += " (not clearly: one seed, or the 95 % interval over seeds reaches it)"
        elif base == "noisy input":
            line += (
                f"; no generative model beats leaving the image as it is ({fmt(psnr[base]['mean'])} dB), "
                "and no filter does either"
            )
        else:
            line += f"; no generative model beats the {base} baseline ({fmt(psnr[base]['mean'])} dB)"
            if psnr[top]["mean"] < psnr["noisy input"]["mean"]:
                line += f", nor even the unrestored input ({fmt(psnr['noisy input']['mean'])} dB)"
        ssim = {m: methods[m]["ssim"][key]["mean"] for m in methods}
        by_ssim = max(ssim, key=ssim.get)
        line += f". By SSIM the best is {by_ssim} ({fmt(ssim[by_ssim])})."
        out.append(line)
    ceiling = ", ".join(
        f"{m} {fmt(methods[m]['clean']['psnr']['mean'], methods[m]['clean']['psnr']['std'])} dB"
        for m in models
    )
    out.append(
        "A model restores no better than it reconstructs an uncorrupted image; PSNR of those "
        f"reconstructions: {ceiling}."
    )
    return out


def _section(
    results: dict[str, Any], corruptions: list[tuple[str, float]], cfg: DenoiseConfig, data: ImageData
) -> Section:
    methods = results["methods"]
    names = list(methods)
    models = [m for m in names if methods[m]["family"] != "baseline"]
    dvae = " dvae is a VAE trained with Gaussian noise on its encoder's input." if "dvae" in models else ""
    sec = Section(
        "Denoising",
        intro=(
            f"Each model trained on the training split of {data.name} with {cfg.seeds} seed(s); "
            f"{results['images']} test images corrupted (the same noise for every model) and restored "
            "blind. VAE: encode then decode; GAN: projection onto the generator (latent inversion of the "
            f"corrupted image, then G(z)).{dvae} Class-conditional models are given the true label. "
            "Restorations are compared with the clean images: PSNR (dB, per image, then averaged) and "
            "SSIM. Baselines: the corrupted image itself, a 3x3 median filter and a Gaussian blur (σ = 1 px)."
        ),
        findings=_findings(results, corruptions),
    )
    keys = [spec_label(c, lv) for c, lv in corruptions]
    for metric, label in (("psnr", "PSNR (dB)"), ("ssim", "SSIM")):

        def cell(m: str, key: str, metric: str = metric) -> str:
            ms = methods[m][metric][key] if key != CLEAN else methods[m].get("clean", {}).get(metric)
            return fmt(ms["mean"], ms["std"]) if ms else "—"

        rows = [
            [describe(c, lv), *[cell(m, k) for m in names]]
            for (c, lv), k in zip(corruptions, keys, strict=True)
        ]
        mean = f"{metric}_mean"
        rows.append(
            [
                "mean over corruptions",
                *[fmt(methods[m][mean]["mean"], methods[m][mean]["std"]) for m in names],
            ]
        )
        rows.append(["none (clean input)", *[cell(m, CLEAN) for m in names]])
        sec.table(
            f"{label} against the clean images",
            ["corruption", *names],
            rows,
            note=(
                "Higher is better; mean ± std over seeds (baselines are deterministic). Last row: each "
                "model's reconstruction of the uncorrupted images, the ceiling of its restorations."
            ),
        )
    sec.table(
        "Restoration cost",
        ["model", "seconds per image"],
        [[m, f"{methods[m]['restore_s_per_image']:.2g}"] for m in models],
        note="GAN restoration optimises a latent code per image; VAE restoration is one forward pass.",
    )
    order = ", ".join(["clean", "corrupted", "median 3x3", *models])
    for c, lv in corruptions:
        sec.figure(f"figures/{_file(spec_label(c, lv))}", f"{describe(c, lv)}: rows are {order} (seed 0)")
    if sum(c == "gaussian" for c, _ in corruptions) >= 2:  # as in _level_plot: a line needs two levels
        sec.figure(
            "figures/psnr-gaussian.png",
            "PSNR against Gaussian noise σ (grey: baselines; bands: ± std over seeds)",
        )
    return sec
