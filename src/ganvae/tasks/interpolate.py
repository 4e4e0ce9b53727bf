"""Morphing between two real images: encode both (VAE: posterior mean; GAN: latent inversion), walk a
straight (linear) or great-circle (spherical, "slerp"; White 2016, "Sampling generative networks") path
between the codes and decode every point.

`ganvae task interpolate` measures, per model, how smooth those paths are in the domain classifier's
feature space (path length over endpoint distance: 1 = straight; largest step over mean step: 1 = even;
see `ganvae.metrics.latent`) and how faithfully the endpoints come back (PSNR of the decoded endpoints
against the real images), and writes strips and GIFs. `ganvae morph RUN A.png B.png` does one morph with a
trained model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from ganvae import metrics as M
from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics.meta import Metric
from ganvae.models.base import GenerativeModel
from ganvae.plan import RunPlan
from ganvae.tasks.base import TaskExperiment, TaskFolder, load_task_images, task_run

METHODS = ("linear", "slerp")
PATH_LENGTH = Metric(
    "path_length_ratio",
    "path length / endpoint distance, morphs between real images (1 = straight)",
    better="lower",
    bounds=(1.0, None),
)


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Points (1-t) z0 + t z1 for each t: len(t) x D (z0, z1 are D-vectors)."""
    t = t.view(-1, 1)
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: the great circle between the codes, norms interpolated linearly.

    Under a Gaussian prior most mass lies near a sphere; the midpoint of a straight line has a smaller
    norm than either end (an atypical code), the great-circle path does not."""
    n0, n1 = z0.norm(), z1.norm()
    if n0 == 0 or n1 == 0:
        return lerp(z0, z1, t)
    u0, u1 = z0 / n0, z1 / n1
    omega = torch.arccos((u0 @ u1).clamp(-1.0, 1.0))
    if omega.abs() < 1e-6:  # (anti-)parallel codes: the great circle is undefined or the line is it
        return lerp(z0, z1, t)
    t = t.view(-1, 1)
    direction = (torch.sin((1 - t) * omega) * u0 + torch.sin(t * omega) * u1) / torch.sin(omega)
    return direction * ((1 - t) * n0 + t * n1)


PATHS = {"linear": lerp, "slerp": slerp}


def morph(
    model: GenerativeModel,
    a: torch.Tensor,
    b: torch.Tensor,
    steps: int = 16,
    method: str = "slerp",
    label: int | None = None,
) -> torch.Tensor:
    """Frames (steps x C x H x W) from image `a` to image `b` (each C x H x W in [0, 1]) through the latent
    space of `model`. `label` is required by class-conditional models (the morph stays in one class)."""
    if method not in PATHS:
        raise ConfigError(f"unknown interpolation {method!r}; choose {', '.join(METHODS)}")
    if steps < 2:
        raise ConfigError("--steps must be at least 2")
    if model.num_classes and label is None:
        raise ConfigError(
            f"{model.registered_name} is class-conditional; give the class to morph within (--label)"
        )
    labels = torch.full((2,), label, dtype=torch.long) if model.num_classes else None
    codes = model.encode(torch.stack([a, b]), labels).detach()
    path = PATHS[method](codes[0], codes[1], torch.linspace(0, 1, steps))
    return model.decode(path, labels=labels[:1].expand(steps) if labels is not None else None).cpu()


@dataclass
class InterpolateConfig(RunPlan):
    needs: ClassVar[frozenset[str]] = frozenset({"encode", "decode"})
    seeds: int = 1
    pairs: int = 8  # pairs of test images morphed per model (GANs invert both ends of each)
    path_steps: int = 12  # decoded points per path, endpoints included ("steps" is the training budget)

    def validate(self) -> None:
        super().validate()
        if self.pairs < 1 or self.path_steps < 3:
            raise ConfigError("--pairs must be >= 1 and --path-steps >= 3")


def pick_pairs(data: ImageData, n: int, same_class: bool, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (a, b) of n pairs of test images: different classes (or the same one, for conditional
    models, whose morph stays in one class); any two images when the data is unlabelled."""
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(data.x_test), generator=g)
    a, b = [], []
    for i in order.tolist():
        if len(a) == n:
            break
        if data.y_test is None:
            partner = order[(len(a) * 2 + 1) % len(order)].item()
        else:
            match = (data.y_test == data.y_test[i]) if same_class else (data.y_test != data.y_test[i])
            match[i] = False
            candidates = match.nonzero().flatten()
            if len(candidates) == 0:
                continue
            partner = candidates[torch.randint(len(candidates), (1,), generator=g)].item()
        a.append(i)
        b.append(partner)
    if not a:
        raise DataError(f"{data.name}: no pair of test images to morph between")
    return torch.tensor(a), torch.tensor(b)


@task_run
def run_interpolate(
    cfg: InterpolateConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train each model (or reuse), morph pairs of test images both ways, measure and draw the paths."""
    from ganvae.features import get_domain_classifier
    from ganvae.report.sections.interpolate import section

    cfg.validate()
    folder = TaskFolder(out, "interpolate", cfg, command, resume=resume, overwrite=overwrite)
    data = load_task_images(cfg)
    clf = get_domain_classifier(data)
    folder.start()
    experiment = Interpolation(cfg, folder, progress)
    jobs = [Job(name, seed) for name in cfg.models for seed in range(cfg.seeds)]
    runs = run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=(data, clf), progress=progress)
    results = summarise(runs)
    verdict = _verdict(results)
    return folder.finish(data, results, section(results, cfg, clf.feature_name, verdict), verdicts=[verdict])


class Interpolation(TaskExperiment):
    """One runner job: train (or reuse) a model, morph pairs of test images both ways, measure the paths;
    seed 0 draws the strips and GIFs."""

    cfg: InterpolateConfig

    def context(self):
        from ganvae.features import get_domain_classifier

        data = load_task_images(self.cfg)
        return data, get_domain_classifier(data)

    def run(self, ctx, job: Job) -> list[dict[str, Any]]:
        from ganvae.report.sections.interpolate import draw_morphs

        data, clf = ctx
        cfg, name, seed = self.cfg, job.model, job.seed
        model = self.folder.model(cfg, name, data, seed, progress=self.progress)
        ia, ib = pick_pairs(data, cfg.pairs, same_class=bool(model.num_classes))
        records = []
        for method in METHODS:
            frames = torch.stack(
                [
                    morph(
                        model, data.x_test[i], data.x_test[j], cfg.path_steps, method, _label(data, model, i)
                    )
                    for i, j in zip(ia.tolist(), ib.tolist(), strict=True)
                ]
            )  # P x T x C x H x W
            feats = clf.features(frames.flatten(0, 1)).view(len(frames), cfg.path_steps, -1)
            ends = torch.cat([frames[:, 0], frames[:, -1]])
            real = torch.cat([data.x_test[ia], data.x_test[ib]])
            records.append(
                {
                    "model": name,
                    "family": model.family,
                    "seed": seed,
                    "method": method,
                    **M.interpolation_smoothness(feats),
                    "endpoint_psnr": float(M.psnr_per_image(real, ends).mean()),
                }
            )
            if seed == 0:
                draw_morphs(self.folder.figures, name, method, frames, data.x_test[ia], data.x_test[ib])
        return records


def _label(data: ImageData, model: GenerativeModel, i: int) -> int | None:
    return int(data.y_test[i]) if model.num_classes and data.y_test is not None else None


KEYS = ("path_length_ratio", "max_step_ratio", "endpoint_psnr")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    table = {}
    for model, method in dict.fromkeys((r["model"], r["method"]) for r in runs):
        rs = [r for r in runs if r["model"] == model and r["method"] == method]
        table[f"{model} / {method}"] = {
            "model": model,
            "family": rs[0]["family"],
            "method": method,
            **{k: estimate([r[k] for r in rs]) for k in KEYS},
        }
    return {"runs": runs, "paths": table}


def _verdict(results: dict[str, Any]) -> dict[str, Any]:
    return use_case_row("latent exploration (interpolation, morphing)", PATH_LENGTH, results["paths"])
