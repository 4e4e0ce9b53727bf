"""Anomaly detection, one-class protocol: train on one class, score the test split, every other class is
an anomaly (the protocol of Ruff et al. 2018 and of the GAN/VAE anomaly literature).

Scores (each model's `anomaly_scores`): the VAE's negative ELBO and reconstruction error (An & Cho 2015);
the GAN's discriminator logit and the AnoGAN inversion residual (Schlegl et al. 2017). AUROC and AUPRC
(anomaly = positive class) come from scikit-learn. A tenth of the normal class's training images is held
out and scored too: `ganvae score` sets its threshold at a requested false-positive rate on those scores.

>>> from ganvae.tasks.anomaly import AnomalyConfig, run_anomaly            # doctest: +SKIP
>>> run_anomaly(AnomalyConfig(normal_class="3", steps=200), "runs/anomaly")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ganvae.atomic import write_json
from ganvae.data.classes import resolve_class
from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics.detection import detection_metrics
from ganvae.plan import RunPlan
from ganvae.run_folder import RunFolder
from ganvae.tasks.base import TaskExperiment, TaskFolder, load_task_images, task_run

CALIBRATION = "calibration.json"  # held-out normal scores, beside the model's weights
SCORES = "scores.json"  # scores of the evaluated test images (a cache for re-runs)
CALIBRATION_SHARE = 0.1


@dataclass
class AnomalyConfig(RunPlan):
    needs: ClassVar[frozenset[str]] = frozenset({"score"})
    seeds: int = 1
    normal_class: str | None = None  # a class name or index; None with all_classes
    all_classes: bool = False
    score_images: int = 1000  # test images scored (seeded random subset); 0 = the whole test split

    def validate(self) -> None:
        super().validate()
        from ganvae.registry import MODELS

        for name in self.models:
            if MODELS.get(name).extra["preset"].conditional:
                raise ConfigError(
                    f"{name} is class-conditional, but one-class training has a single class; "
                    "use an unconditional model such as vae or dcgan"
                )
        if (self.normal_class is None) == (not self.all_classes):
            raise ConfigError("give --normal-class NAME (or index), or --all-classes, not both")
        if self.score_images < 0:
            raise ConfigError("--score-images must be >= 0 (0 scores the whole test split)")


def one_class_split(data: ImageData, cls: int, seed: int = 0) -> tuple[ImageData, torch.Tensor]:
    """The normal class's training images minus a held-out share, and that held-out share."""
    assert data.y_train is not None and data.y_test is not None
    normal = data.x_train[data.y_train == cls]
    if len(normal) < 20:
        raise DataError(f"class {data.class_names[cls]} has only {len(normal)} training images; need >= 20")
    order = torch.randperm(len(normal), generator=torch.Generator().manual_seed(seed))
    held = max(2, int(CALIBRATION_SHARE * len(normal)))
    test_normal = data.x_test[data.y_test == cls]
    if len(test_normal) == 0:
        raise DataError(f"class {data.class_names[cls]} has no test images to score")
    train = ImageData(f"{data.name}[{data.class_names[cls]}]", normal[order[held:]], test_normal)
    return train, normal[order[:held]]


def scores_of(model, x: torch.Tensor, batch: int = 500) -> dict[str, np.ndarray]:
    """Every anomaly score of `model` on images `x` (batched, so memory stays bounded)."""
    out = {}
    for method in model.anomaly_scores:
        parts = [model.score(x[i : i + batch], method=method).cpu() for i in range(0, len(x), batch)]
        out[method] = torch.cat(parts).double().numpy()
    return out


def _scored(model, model_dir: Path, x_eval: torch.Tensor, held_out: torch.Tensor):
    """Scores of the evaluation images (and the held-out normal ones, for `ganvae score`), cached in the
    model folder: AnoGAN inverts every image, so a re-run must not score again. The task folder's config
    check guarantees the cache belongs to the same evaluation images."""
    cache = model_dir / SCORES
    if cache.is_file() and (model_dir / CALIBRATION).is_file():
        saved = json.loads(cache.read_text(encoding="utf-8"))
        return {m: np.asarray(v) for m, v in saved["scores"].items()}, saved["score_s_per_image"]
    t0 = time.perf_counter()
    scores = scores_of(model, x_eval)
    score_s = (time.perf_counter() - t0) / len(x_eval)
    write_json(model_dir / CALIBRATION, {m: s.tolist() for m, s in scores_of(model, held_out).items()})
    write_json(cache, {"scores": {m: s.tolist() for m, s in scores.items()}, "score_s_per_image": score_s})
    return scores, score_s


@task_run
def run_anomaly(
    cfg: AnomalyConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train each model on each normal class (and seed), score the test split, write the task folder."""
    from ganvae.report.sections import anomaly as page

    cfg.validate()
    folder = TaskFolder(out, "anomaly", cfg, command, resume=resume, overwrite=overwrite)
    experiment = OneClass(cfg, folder, progress)
    ctx = experiment.context()
    data, classes, x_eval, y_eval = ctx
    for cls in classes:
        anomalous = y_eval != cls
        if anomalous.all() or not anomalous.any():
            raise DataError(
                f"the {len(x_eval)} scored test images hold no normal or no anomalous image for class "
                f"{data.class_names[cls]}; raise --score-images"
            )
    folder.start()

    jobs = [
        Job(name, seed, f"class{cls}-") for cls in classes for name in cfg.models for seed in range(cfg.seeds)
    ]
    runs = run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=ctx, progress=progress)
    # ROC curves of the first normal class, seed 0, from the scores each job cached in its model folder
    anomalous = (y_eval != classes[0]).numpy().astype(int)
    roc = {}
    for name in cfg.models:
        saved = json.loads((RunFolder(folder.out).model(name, 0, f"class{classes[0]}-") / SCORES).read_text())
        roc.update({f"{name} / {m}": (np.asarray(s), anomalous) for m, s in saved["scores"].items()})
    page.draw_roc(folder.figures, roc)
    results = summarise(runs, data, classes)
    section = page.section(results, [data.class_names[c] for c in classes], cfg, len(x_eval))
    return folder.finish(data, results, section, verdicts=results["verdicts"])


class OneClass(TaskExperiment):
    """One runner job: train (or reuse) a model on one normal class and score the evaluation images by
    every anomaly score it has; seed 0 of the first class draws the most and least anomalous images."""

    cfg: AnomalyConfig

    def context(self):
        """(data, normal classes, evaluation images, their labels): a seeded subset, alike everywhere."""
        cfg = self.cfg
        data = load_task_images(cfg, labels_for="the one-class protocol")
        classes = (
            list(range(data.num_classes))
            if cfg.all_classes
            else [resolve_class(cfg.normal_class, data.class_names or [], what="--normal-class")]
        )
        n_eval = len(data.x_test) if cfg.score_images == 0 else min(cfg.score_images, len(data.x_test))
        pick = torch.randperm(len(data.x_test), generator=torch.Generator().manual_seed(0))[:n_eval]
        return data, classes, data.x_test[pick], data.y_test[pick]

    def run(self, ctx, job: Job) -> list[dict[str, Any]]:
        data, classes, x_eval, y_eval = ctx
        cls = int(job.tag.removeprefix("class").rstrip("-"))
        train_data, held_out = one_class_split(data, cls)
        model = self.folder.model(
            self.cfg, job.model, train_data, job.seed, tag=job.tag, progress=self.progress
        )
        model_dir = RunFolder(self.folder.out).model(job.model, job.seed, job.tag)
        scores, score_s = _scored(model, model_dir, x_eval, held_out)
        if job.seed == 0 and cls == classes[0]:
            from ganvae.report.sections.anomaly import draw_extremes

            draw_extremes(self.folder.figures, job.model, x_eval, scores)
        anomalous = (y_eval != cls).numpy().astype(int)
        return [
            {
                "class": cls,
                "model": job.model,
                "family": model.family,
                "seed": job.seed,
                "score": method,
                **detection_metrics(s, anomalous),
                "score_s_per_image": score_s,
            }
            for method, s in scores.items()
        ]


def summarise(runs: list[dict[str, Any]], data: ImageData, classes: list[int]) -> dict[str, Any]:
    """Per (model, score): AUROC/AUPRC per class (mean ± std over seeds) and the mean over classes."""
    table: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys((r["model"], r["score"]) for r in runs):
        rs = [r for r in runs if (r["model"], r["score"]) == key]
        per_class = {}
        for cls in classes:
            seeds = [r for r in rs if r["class"] == cls]
            per_class[data.class_names[cls]] = {
                "auroc": estimate([r["auroc"] for r in seeds]),
                "auprc": estimate([r["auprc"] for r in seeds]),
            }
        # mean over classes of each seed, then mean ± std over seeds
        seeds = sorted({r["seed"] for r in rs})
        table[f"{key[0]} / {key[1]}"] = {
            "model": key[0],
            "family": rs[0]["family"],
            "score": key[1],
            "per_class": per_class,
            "auroc": estimate([np.mean([r["auroc"] for r in rs if r["seed"] == s]) for s in seeds]),
            "auprc": estimate([np.mean([r["auprc"] for r in rs if r["seed"] == s]) for s in seeds]),
            "score_s_per_image": float(np.mean([r["score_s_per_image"] for r in rs])),
        }
    return {"runs": runs, "scores": table, "verdicts": [_verdict(table)]}


def _verdict(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return use_case_row(
        "anomaly detection", "auroc", table, label="AUROC (one-class, mean over normal classes)"
    )
