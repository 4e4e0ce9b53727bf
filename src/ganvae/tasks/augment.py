"""Augmenting a small labelled set with class-conditional samples (the "few labelled microscope images"
story): keep K real labelled training images per class, train a class-conditional VAE (Sohn et al. 2015)
and GAN (Mirza & Osindero 2014; projection discriminator, Miyato & Koyama 2018) on them, generate labelled
images, and train the same small classifier on real only, real + synthetic, and synthetic only.

Test accuracy is measured on the full, real test split. The synthetic-only arm is the
train-synthetic-test-real (TSTR) utility figure of Esteban et al. (2017, "Real-valued (medical) time series
generation with recurrent conditional GANs"); the real + synthetic arm is generative data augmentation
(e.g. Antoniou et al. 2017, "Data augmentation generative adversarial networks"). Each K is repeated over
seeds (a different real subset, model seed and classifier seed per seed) and reported as mean ± std.

The classifier is the domain classifier's CNN (`ganvae.features.network.FeatureNet`) trained by
`DomainClassifier` with the same width, batch size, learning-rate schedule and number of updates in every
arm, and the run's seed, so two arms of one (K, seed) differ only in the images they are trained on.

>>> from ganvae.tasks.augment import AugmentConfig, run_augment               # doctest: +SKIP
>>> run_augment(AugmentConfig(labels_per_class=(10, 50)), "runs/augment")      # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.metrics.meta import Metric
from ganvae.models.base import sample_in_batches
from ganvae.plan import DEFAULT_DIGITS_STEPS, RunPlan
from ganvae.tasks.base import TaskExperiment, TaskFolder, load_task_images, task_run

REAL = "real only"
# Steps, not epochs, set the default generator budget: 5 epochs of 10 images x 10 classes is 10 updates.
DEFAULT_STEPS = 1000  # on datasets other than digits (digits: the RunPlan's 300)


def with_real(model: str) -> str:
    return f"real + {model}"


def synthetic_only(model: str) -> str:
    return f"{model} only"


@dataclass
class AugmentConfig(RunPlan):
    needs: ClassVar[frozenset[str]] = frozenset({"sample"})
    models: tuple[str, ...] = ("cvae", "cgan")
    seeds: int = 3
    labels_per_class: tuple[int, ...] = (10, 50, 100)  # K: real labelled training images per class
    # A fixed count rather than a multiple of K: the synthetic-only arm then differs across K only in the
    # generator that made it, and 100 per class is 10x the real set at K=10 and as many at K=100.
    synthetic_per_class: int = 100
    # Updates of the classifier in every arm. A fixed number of epochs would give the larger augmented
    # sets many more updates than the real-only set; equal updates give each arm the same compute.
    classifier_steps: int = 150
    classifier_batch_size: int = 128

    def validate(self) -> None:
        super().validate()
        from ganvae.config import apply_overrides
        from ganvae.registry import MODELS

        for name in self.models:
            preset = apply_overrides(MODELS.get(name).extra["preset"], self.overrides_for(name))
            if not getattr(preset, "conditional", False):
                raise ConfigError(
                    f"{name} is not class-conditional, so it cannot make images of a chosen class; "
                    "use cvae or cgan (or --set conditional=true)"
                )
        ks = self.labels_per_class
        if not ks or any(not isinstance(k, int) or k < 1 for k in ks):
            raise ConfigError("--labels-per-class needs positive integers, e.g. 10,50,100")
        if len(set(ks)) != len(ks):
            raise ConfigError("--labels-per-class lists a value twice")
        if self.synthetic_per_class < 1:
            raise ConfigError("--synthetic-per-class must be at least 1")
        if self.classifier_steps < 1 or self.classifier_batch_size < 2:
            raise ConfigError("--classifier-steps must be >= 1 and the classifier batch size >= 2")

    def budget(self, n_train: int | None = None) -> dict[str, float | int | None]:
        """The per-run budget; by default 300 steps on digits and 1,000 steps elsewhere (the generators
        train on a few labelled images per class: a budget in steps, whatever their number)."""
        given = {"epochs": self.epochs, "steps": self.steps, "budget_s": self.budget_s}
        if all(v is None for v in given.values()):
            given["steps"] = DEFAULT_DIGITS_STEPS if self.data == "digits" else DEFAULT_STEPS
        return given


def check_labels_per_class(data: ImageData, ks: tuple[int, ...] | list[int]) -> None:
    """DataError unless every class has at least max(ks) training images (naming the smallest class)."""
    assert data.y_train is not None
    counts = torch.bincount(data.y_train, minlength=data.num_classes)
    smallest = int(counts.argmin())
    have = int(counts[smallest])
    if max(ks) > have:
        raise DataError(
            f"--labels-per-class {max(ks)} is larger than class {data.class_names[smallest]!r} of "
            f"{data.name}, which has {have} training images; give values <= {have}"
        )


def stratified_subset(data: ImageData, k: int, seed: int) -> ImageData:
    """K training images per class, chosen at random with `seed`; the test split is the full test split.

    One permutation per class (drawn in class order from one seeded generator) is cut at K, so for a given
    seed the subsets of K=10 and K=50 are nested: a larger K adds images, it does not swap them."""
    assert data.y_train is not None
    check_labels_per_class(data, [k])
    g = torch.Generator().manual_seed(seed)
    picks = []
    for cls in range(data.num_classes):
        members = torch.nonzero(data.y_train == cls).flatten()
        picks.append(members[torch.randperm(len(members), generator=g)[:k]])
    idx = torch.cat(picks)
    return ImageData(
        f"{data.name}[{k} per class, seed {seed}]",
        data.x_train[idx],
        data.x_test,
        data.y_train[idx],
        data.y_test,
        list(data.class_names or []),
        data.source,
        dict(data.meta),
    )


@torch.no_grad()
def synthesise(model, num_classes: int, per_class: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`per_class` samples of every class from a conditional model (images class by class), with labels."""
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    images = sample_in_batches(
        model, len(labels), labels=labels, generator=torch.Generator().manual_seed(seed)
    )
    return images.float().clamp(0, 1), labels


def classifier_accuracy(train: ImageData, cfg: AugmentConfig, seed: int) -> dict[str, float | int]:
    """Fit the small CNN on `train` for about `cfg.classifier_steps` updates; its test-split accuracy."""
    from ganvae.features.domain import DomainClassifier

    per_epoch = math.ceil(len(train.x_train) / cfg.classifier_batch_size)
    epochs = max(1, math.ceil(cfg.classifier_steps / per_epoch))
    # no wall-clock cap: a run that hit it would depend on the machine's speed
    clf = DomainClassifier(batch_size=cfg.classifier_batch_size, max_seconds=None)
    clf.fit(train, epochs=epochs, seed=seed)
    return {
        "accuracy": float(clf.accuracy_),  # type: ignore[arg-type]
        "train_accuracy": float(clf.train_accuracy_),  # type: ignore[arg-type]
        "n_train": len(train.x_train),
        "updates": epochs * per_epoch,
        "train_s": clf.train_seconds_,
    }


@task_run
def run_augment(
    cfg: AugmentConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """For each K and seed: train each model on K images per class, classify with and without its samples."""
    from ganvae.registry import MODELS
    from ganvae.report.sections import augment as page

    cfg.validate()
    folder = TaskFolder(out, "augment", cfg, command, resume=resume, overwrite=overwrite)
    data = load_task_images(cfg, labels_for="augmentation")
    if data.num_classes < 2:
        raise DataError(f"{data.name} has one class; class-conditional augmentation needs at least 2")
    check_labels_per_class(data, cfg.labels_per_class)
    folder.start()

    ks = sorted(cfg.labels_per_class)
    families = {name: MODELS.get(name).factory.family for name in cfg.models}
    # per (K, seed): the real-only arm (no generative model: job "real"), then each model's two arms
    jobs = [
        Job(name, seed, f"k{k}-") for k in ks for seed in range(cfg.seeds) for name in (REAL_JOB, *cfg.models)
    ]
    experiment = Augmentation(cfg, folder, progress)
    runs = run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=data, progress=progress)
    results = summarise(runs, cfg.models, families)
    page.draw_curve(folder.figures / "accuracy.png", results, cfg.models, families)
    section = page.section(results, len(data.x_test), cfg)
    return folder.finish(data, results, section, verdicts=results["verdicts"])


REAL_JOB = "real"  # the job of the real-only arm


class Augmentation(TaskExperiment):
    """One runner job at one K and seed: the real-only classifier (job "real"), or one model trained on
    the K images per class, its samples, and the classifier on real + synthetic and on synthetic only."""

    cfg: AugmentConfig

    def context(self):
        return load_task_images(self.cfg, labels_for="augmentation")

    def run(self, data, job: Job) -> list[dict[str, Any]]:
        from ganvae.report.sections.augment import draw_class_rows

        cfg, name, seed = self.cfg, job.model, job.seed
        k = int(job.tag.removeprefix("k").rstrip("-"))
        first = k == min(cfg.labels_per_class) and seed == 0  # draws the figures
        small = stratified_subset(data, k, seed)
        if name == REAL_JOB:
            if first:
                draw_class_rows(
                    small.x_train, small.y_train, data.num_classes, self.folder.figures / "real.png"
                )
            return [{"k": k, "seed": seed, "arm": REAL, **classifier_accuracy(small, cfg, seed)}]
        t0 = time.perf_counter()
        model = self.folder.model(cfg, name, small, seed, tag=job.tag, progress=self.progress)
        x_syn, y_syn = synthesise(model, data.num_classes, cfg.synthetic_per_class, seed)
        gen_s = time.perf_counter() - t0
        if first:
            draw_class_rows(x_syn, y_syn, data.num_classes, self.folder.figures / f"samples-{name}.png")
        mixed = _with_train(small, torch.cat([small.x_train, x_syn]), torch.cat([small.y_train, y_syn]))
        return [
            {
                "k": k,
                "seed": seed,
                "arm": arm,
                "model": name,
                "family": model.family,
                "train_sample_s": gen_s,  # training (or loading a finished run) + sampling
                **classifier_accuracy(train, cfg, seed),
            }
            for arm, train in (
                (with_real(name), mixed),
                (synthetic_only(name), _with_train(small, x_syn, y_syn)),
            )
        ]


def _with_train(data: ImageData, x: torch.Tensor, y: torch.Tensor) -> ImageData:
    return ImageData(
        data.name, x, data.x_test, y, data.y_test, data.class_names, data.source, dict(data.meta)
    )


def summarise(
    runs: list[dict[str, Any]], models: tuple[str, ...] | list[str], families: dict[str, str]
) -> dict[str, Any]:
    """Accuracy per K and arm (mean ± std over seeds), the paired gain of each model's augmentation over
    real only, and the use-case verdict (real + synthetic at the smallest K). `arms` lists real only, then
    real + each model, then each model only: the report's section reads the arms in that order."""
    ks = sorted({r["k"] for r in runs})
    arms = [REAL, *(with_real(m) for m in models), *(synthetic_only(m) for m in models)]
    accuracy: dict[str, dict[str, Any]] = {}
    gain: dict[str, dict[str, Any]] = {}
    for k in ks:
        by_arm = {
            arm: {r["seed"]: r["accuracy"] for r in runs if r["k"] == k and r["arm"] == arm} for arm in arms
        }
        seeds = sorted(by_arm[REAL])
        accuracy[str(k)] = {arm: estimate([by_arm[arm][s] for s in seeds]) for arm in arms}
        gain[str(k)] = {
            m: estimate([by_arm[with_real(m)][s] - by_arm[REAL][s] for s in seeds]) for m in models
        }
    smallest = str(ks[0])
    table = {m: {"family": families[m], "accuracy": accuracy[smallest][with_real(m)]} for m in models}
    accuracy_metric = Metric(
        "accuracy",
        f"test accuracy, real + synthetic, at the smallest K ({smallest} per class)",
        better="higher",
        bounds=(0.0, 1.0),
    )
    verdict = use_case_row("augmentation of small labelled sets", accuracy_metric, table)
    return {
        "labels_per_class": ks,
        "arms": arms,
        "families": dict(families),
        "runs": runs,
        "accuracy": accuracy,
        "gain": gain,
        "verdicts": [verdict],
    }
