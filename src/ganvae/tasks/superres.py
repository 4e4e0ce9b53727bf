"""Super-resolution: upscale low-resolution test images by `scale` with each arm and measure the outputs on
both axes of the perception-distortion plane (Blau & Michaeli 2018; `metrics/superres.py`).

Low-resolution inputs are made from the high-resolution test images by antialiased bicubic downsampling
(`nn/bicubic.py`); the models train on the training split and make their inputs from each batch the same
way. Arms, at the same budget (steps x batch size):

- `srgan`: SRGAN (Ledig et al. 2017), content (L1) + adversarial loss (`--set adv_weight=...`);
- `sr-vae`: a conditional VAE on the low-resolution image (Sohn et al. 2015), several outputs per input;
- `sr-regression`: the same network as SRGAN's generator on L1 alone (SRResNet);
- bicubic upsampling, always, as the baseline (deterministic: one value, no seeds).

Measured per arm and seed: PSNR and SSIM against the truth, FD (domain features) against real
high-resolution training images (the truth's own FD to them is the floor), the sharpness ratio to the
truth, consistency (PSNR of the downsampled output against the input) and the pixel variance of several
draws per input (diversity). The claim "GAN super-resolution looks sharper and more realistic but is
less faithful pixel by pixel than a regression or VAE model" is judged by `experiment.superres_claim`.

>>> from ganvae.tasks.superres import SuperresConfig, run_superres           # doctest: +SKIP
>>> run_superres(SuperresConfig(data="fashion-mnist", scale=4), "runs/sr")    # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ganvae.errors import ConfigError, DataError
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics.meta import get as get_metric
from ganvae.models.paired import SCALES, check_scale, in_batches
from ganvae.nn.bicubic import downsample, upsample
from ganvae.plan import RunPlan
from ganvae.tasks.base import TaskExperiment, TaskFolder, load_task_images, task_run

BICUBIC = "bicubic"
GRID_IMAGES = 8
DIVERSITY_IMAGES = 64  # inputs drawn `draws` times for the diversity figure
MIN_IMAGES = 10
KEYS = ("sr_psnr", "sr_ssim", "fd", "sr_sharpness_ratio", "consistency_psnr", "decode_variance")
Upscale = Callable[[torch.Tensor, torch.Generator | None], torch.Tensor]


@dataclass
class SuperresConfig(RunPlan):
    models: tuple[str, ...] = ("srgan", "sr-vae", "sr-regression")
    scale: int = 2
    images: int = 1000  # test images upscaled and scored
    draws: int = 4  # outputs per input for the diversity figure
    needs: ClassVar[frozenset[str]] = frozenset({"upscale"})

    def validate(self) -> None:
        if "scale" in self.overrides:
            raise ConfigError(f"give the scale with --scale, not --set scale={self.overrides['scale']}")
        if self.scale not in SCALES:
            raise ConfigError(f"--scale {self.scale} is not supported; use {' or '.join(map(str, SCALES))}")
        super().validate()
        if self.images < MIN_IMAGES:
            raise ConfigError(f"--images must be at least {MIN_IMAGES} (FD needs a set of outputs)")
        if self.draws < 2:
            raise ConfigError("--draws must be at least 2 (diversity compares outputs for one input)")

    def overrides_for(self, name: str) -> dict[str, str]:
        from ganvae.models.base import config_keys

        scale = {"scale": str(self.scale)} if "scale" in config_keys(name) else {}
        return {**super().overrides_for(name), **scale}


@dataclass
class Scene:
    """What every arm is measured against: inputs, truth, and the real-image reference of the FD."""

    lr: torch.Tensor
    truth: torch.Tensor
    scale: int
    classifier: Any
    reference: tuple[np.ndarray, np.ndarray]  # Gaussian stats of real high-resolution training images

    def fd(self, images: torch.Tensor) -> float:
        from ganvae.metrics import frechet_from_stats, gaussian_stats

        return frechet_from_stats(*gaussian_stats(self.classifier.features(images)), *self.reference)


def make_scene(data, n: int, scale: int, classifier) -> Scene:
    """`n` test images (a seeded pick) and their inputs; the FD reference is as many training images."""
    from ganvae.metrics import gaussian_stats

    pick = torch.randperm(len(data.x_test), generator=torch.Generator().manual_seed(0))[:n]
    truth = data.x_test[pick].float().cpu()
    ref = torch.randperm(len(data.x_train), generator=torch.Generator().manual_seed(1))[:n]
    reference = gaussian_stats(classifier.features(data.x_train[ref].float()))
    return Scene(downsample(truth, scale), truth, scale, classifier, reference)


def upscale_all(fn: Upscale, lr: torch.Tensor, seed: int) -> torch.Tensor:
    """`fn` on every input, a batch at a time, its draws seeded by `seed`."""
    generator = torch.Generator().manual_seed(seed)
    return in_batches(lambda b: fn(b, generator), lr)


def figures(out: torch.Tensor, draws: torch.Tensor | None, scene: Scene) -> dict[str, float]:
    """Every figure of one arm's outputs `out` (one per input); `draws` (S x N' x C x H x W: several
    outputs for the first N' inputs) gives the diversity, 0 without it."""
    from ganvae.metrics import decode_variance, psnr_per_image, sharpness_ratio, ssim_per_image
    from ganvae.metrics.superres import consistency_psnr

    return {
        "sr_psnr": float(psnr_per_image(scene.truth, out).mean()),
        "sr_ssim": float(ssim_per_image(scene.truth, out).mean()),
        "fd": scene.fd(out.clamp(0, 1)),
        "sr_sharpness_ratio": sharpness_ratio(out.clamp(0, 1), scene.truth),
        "consistency_psnr": float(consistency_psnr(scene.lr, out, scene.scale).mean()),
        "decode_variance": decode_variance(draws) if draws is not None else 0.0,
    }


def measure_arm(fn: Upscale, scene: Scene, seed: int, draws: int) -> tuple[dict[str, float], torch.Tensor]:
    """(figures, outputs) of upscaler `fn`: one draw for every input, `draws` for the first few."""
    t0 = time.perf_counter()
    out = upscale_all(fn, scene.lr, 1000 * seed)
    seconds = (time.perf_counter() - t0) / len(scene.lr)
    few = scene.lr[:DIVERSITY_IMAGES]
    many = torch.stack([upscale_all(fn, few, 1000 * seed + k) for k in range(draws)])
    return {**figures(out, many, scene), "upscale_s_per_image": seconds}, many


def bicubic(lr: torch.Tensor, scale: int) -> torch.Tensor:
    return upsample(lr, scale, clamp=True)


@task_run
def run_superres(
    cfg: SuperresConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train each model (and seed), upscale the test images' inputs, measure, write the task folder."""
    from ganvae.report.sections import superres as page

    cfg.validate()
    folder = TaskFolder(out, "superres", cfg, command, resume=resume, overwrite=overwrite)
    experiment = SuperResolution(cfg, folder, progress and cfg.jobs == 1)
    ctx = experiment.context()
    data, scene, floor = ctx
    folder.start()

    base, _ = measure_arm(lambda b, _g: bicubic(b, cfg.scale), scene, 0, 2)
    runs: list[dict[str, Any]] = [{"method": BICUBIC, "family": "baseline", "seed": 0, **base}]
    shown = {BICUBIC: bicubic(scene.lr[:GRID_IMAGES], cfg.scale)}
    draws: dict[str, torch.Tensor] = {}
    jobs = [Job(name, seed) for name in cfg.models for seed in range(cfg.seeds)]
    for record in run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=ctx):
        if "shown" in record:  # seed 0's outputs, kept in the job's record for the grids
            shown[record["method"]] = torch.tensor(record["shown"])
            if record["diverse"]:
                draws[record["method"]] = torch.tensor(record["draws"])
        else:
            runs.append(record)
    results = summarise(runs, cfg, data, len(scene.truth), floor)
    figs = folder.figures
    page.draw_grid(figs / "superres-grid.png", scene.lr[:GRID_IMAGES], shown, scene.truth[:GRID_IMAGES])
    page.draw_draws(figs / "superres-draws.png", scene.truth[:GRID_IMAGES], draws)
    page.draw_plane(figs / "perception-distortion.png", results)
    section = page.section(results, cfg, data.name, scene.classifier.feature_name, bool(draws))
    return folder.finish(data, results, section, verdicts=results["verdicts"])


class SuperResolution(TaskExperiment):
    """One runner job: train (or reuse) a model, upscale every input, measure; seed 0 keeps its outputs
    for the grids."""

    cfg: SuperresConfig

    def context(self):
        """(data, scene, FD floor): the same in every process (seeded picks)."""
        from ganvae.features import get_domain_classifier

        data = load_task_images(self.cfg)
        check_scale(data.shape, self.cfg.scale)
        if len(data.x_test) < MIN_IMAGES:
            raise DataError(
                f"{data.name} has {len(data.x_test)} test images; super-resolution needs "
                f"at least {MIN_IMAGES} to score"
            )
        scene = make_scene(
            data, min(self.cfg.images, len(data.x_test)), self.cfg.scale, get_domain_classifier(data)
        )
        return data, scene, scene.fd(scene.truth)

    def run(self, ctx, job: Job) -> list[dict[str, Any]]:
        data, scene, _ = ctx
        model = self.folder.model(self.cfg, job.model, data, job.seed, progress=self.progress)
        found, many = measure_arm(lambda b, g: model.upscale(b, generator=g), scene, job.seed, self.cfg.draws)
        records: list[dict[str, Any]] = [
            {"method": job.model, "family": model.family, "seed": job.seed, **found}
        ]
        if job.seed == 0:
            records.append(
                {
                    "method": job.model,
                    "shown": many[0, :GRID_IMAGES].tolist(),
                    "diverse": found["decode_variance"] > 0,
                    "draws": many[:, :GRID_IMAGES].tolist(),
                }
            )
        return records


def summarise(
    runs: list[dict[str, Any]], cfg: SuperresConfig, data, n_images: int, floor: float
) -> dict[str, Any]:
    """Per arm: every figure as mean ± std over seeds; the claim; the two use-case rows."""
    from ganvae.experiment.superres_claim import judge

    methods: dict[str, dict[str, Any]] = {}
    for method in dict.fromkeys(r["method"] for r in runs):
        rs = [r for r in runs if r["method"] == method]
        methods[method] = {
            "family": rs[0]["family"],
            **{k: estimate([r[k] for r in rs]) for k in KEYS},
            "upscale_s_per_image": float(np.mean([r["upscale_s_per_image"] for r in rs])),
        }
    models = {k: v for k, v in methods.items() if v["family"] != "baseline"}
    verdicts = [
        row
        for row in (
            use_case_row("super-resolution: fidelity", get_metric("sr_psnr"), models),
            use_case_row("super-resolution: realism", get_metric("fd"), models),
        )
        if row
    ]
    return {
        "scale": cfg.scale,
        "shape": list(data.shape),
        "lr_shape": list(check_scale(data.shape, cfg.scale)),
        "images": n_images,
        "downsampling": "antialiased bicubic (torch.nn.functional.interpolate, mode=bicubic, antialias=True)",
        "fd_floor": floor,
        "methods": methods,
        "runs": runs,
        "claim": judge(methods),
        "verdicts": verdicts,
    }
