"""Unpaired image-to-image translation ("style transfer") between two domains: two folders, or two class
groups of a labelled dataset (`ganvae.data.images.domains`). Each arm trains on both domains' training
images at the same budget and translates held-out test images both ways:

- `cyclegan`: CycleGAN (Zhu et al. 2017), two generators and two discriminators, cycle + identity losses;
- `unit`: UNIT (Liu et al. 2017), two VAE-GANs sharing one latent space;
- `cvae`: the plain-VAE way, a conditional VAE (Sohn et al. 2015) trained on the two domains as two
  classes: encode with the source label, decode with the target label (any class-conditional model with
  an encoder may stand here, e.g. `cgan`, whose encoder inverts its generator).

Measured per arm, seed and direction (`ganvae.metrics.translation`): the share of translations a classifier
trained on the two domains' training images assigns to the target domain, FD (domain features, that
classifier's) of the translations to the real test images of the target domain, the content kept (SSIM
input vs translation) and the cycle reconstruction PSNR. Two baselines bracket every figure: the input
unchanged (keeps everything, reaches nothing) and a random real image of the target domain's training
split (reaches the target, keeps nothing). `ganvae.experiment.translation_claims` judges the claims.

>>> from ganvae.tasks.translate import TranslateConfig, run_translate          # doctest: +SKIP
>>> cfg = TranslateConfig(data="fashion-mnist", source="Sneaker", target="Ankle boot")
>>> run_translate(cfg, "runs/translate")                                       # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from ganvae.data.images.domains import SOURCE, TARGET, DomainData, load_domains
from ganvae.errors import ConfigError
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.verdicts import estimate, use_case_row
from ganvae.plan import DEFAULT_DIGITS_STEPS, RunPlan
from ganvae.tasks.base import TaskExperiment, TaskFolder, task_run

DEFAULT_STEPS = 1000  # on data other than digits (digits: the RunPlan's 300)
GRID_IMAGES = 8
TAG = "domains-"  # model folders: <model>-domains-seed<k> (trained on the two domains, not the full data)
DIRECTIONS = {"forward": (SOURCE, TARGET), "reverse": (TARGET, SOURCE)}  # name: (from, to)
METRICS = ("target_share", "fd", "content_ssim", "cycle_psnr")
IDENTITY, RANDOM_TARGET = "input unchanged", "random target image"


@dataclass
class TranslateConfig(RunPlan):
    data: str = ""  # a labelled dataset whose classes --source / --target name; "" for two folders
    models: tuple[str, ...] = ("cyclegan", "unit", "cvae")
    seeds: int = 3
    source: str = ""
    target: str = ""
    images: int = 500  # test images translated per direction (at most the domain's test images)
    also_kinds: ClassVar[tuple[str, ...]] = ("domains",)

    def validate(self) -> None:
        super().validate()
        from ganvae.config import apply_overrides
        from ganvae.registry import MODELS

        for name in self.models:
            cls = MODELS.get(name).factory
            if "translate" in cls.capabilities:
                continue
            preset = apply_overrides(MODELS.get(name).extra["preset"], self.overrides_for(name))
            if not getattr(preset, "conditional", False) or not {"encode", "decode"} <= cls.capabilities:
                raise ConfigError(
                    f"{name} cannot translate: give a translator (cyclegan, unit) or a class-conditional "
                    "model with an encoder (cvae, cgan) that encodes with the source label and decodes "
                    "with the target label"
                )
        if self.images < 2:
            raise ConfigError("--images must be at least 2 (test images translated per direction)")

    def budget(self, n_train: int | None = None) -> dict[str, float | int | None]:
        """The per-run budget; by default 300 steps on digits and 1,000 steps elsewhere."""
        given = {"epochs": self.epochs, "steps": self.steps, "budget_s": self.budget_s}
        if all(v is None for v in given.values()):
            given["steps"] = DEFAULT_DIGITS_STEPS if self.data == "digits" else DEFAULT_STEPS
        return given

    def data_spec(self) -> dict[str, Any]:
        return {**super().data_spec(), "source": self.source, "target": self.target}


def load_task_domains(cfg: TranslateConfig) -> DomainData:
    return load_domains(cfg.source, cfg.target, data=cfg.data or None, image_size=cfg.image_size)


@task_run
def run_translate(
    cfg: TranslateConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train each arm (and seed) on the two domains, translate the test images both ways, write the folder."""
    from ganvae.report.sections import translate as page

    cfg.validate()
    folder = TaskFolder(out, "translate", cfg, command, resume=resume, overwrite=overwrite)
    experiment = Translation(cfg, folder, progress and cfg.jobs == 1)
    ctx = experiment.context()  # loads and checks the data before anything is written
    folder.start()
    runs = baselines(ctx)
    shown: dict[str, dict[str, dict[str, torch.Tensor]]] = {d: {} for d in DIRECTIONS}  # seed 0, for grids
    jobs = [Job(name, seed, TAG) for name in cfg.models for seed in range(cfg.seeds)]
    for record in run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=ctx):
        if "shown" in record:
            for direction, pair in record["shown"].items():
                shown[direction][record["method"]] = {k: torch.tensor(v) for k, v in pair.items()}
        else:
            runs.append(record)
    data, clf = ctx["data"], ctx["classifier"]
    results = summarise(runs, len(ctx["inputs"]["forward"]), len(ctx["inputs"]["reverse"]))
    results["classifier"] = {"accuracy": clf.accuracy_, "feature_name": clf.feature_name}
    results["domains"] = {"source": data.source_name, "target": data.target_name}
    for direction in DIRECTIONS:
        page.draw_grid(
            folder.figures / page.grid_file(direction),
            ctx["inputs"][direction][:GRID_IMAGES],
            shown[direction],
        )
    page.draw_plane(folder.figures / page.PLANE, results)
    section = page.section(results, cfg, data.name)
    return folder.finish(data, results, section, verdicts=results["verdicts"])


class Translation(TaskExperiment):
    """One runner job: train (or reuse) one arm with one seed and translate the test images both ways."""

    cfg: TranslateConfig

    def context(self) -> dict[str, Any]:
        """The two domains, the classifier trained on their training split, the test inputs of each
        direction (a seeded subset of at most `images`) and the target features of each direction."""
        from ganvae.features import get_domain_classifier

        data = load_task_domains(self.cfg)
        clf = get_domain_classifier(data)
        inputs, reference = {}, {}
        for direction, (src, dst) in DIRECTIONS.items():
            x = data.images("test", src)
            n = min(self.cfg.images, len(x))
            pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(src))[:n]
            inputs[direction] = x[pick].float().cpu()
            reference[direction] = clf.features(data.images("test", dst))
        return {"data": data, "classifier": clf, "inputs": inputs, "reference": reference}

    def run(self, ctx: dict[str, Any], job: Job) -> list[dict[str, Any]]:
        from ganvae.models.domains import translate

        model = self.folder.model(
            self.cfg, job.model, ctx["data"], job.seed, tag=job.tag, progress=self.progress
        )
        params = sum(p.numel() for p in model.parameters())
        records: list[dict[str, Any]] = []
        shown: dict[str, dict[str, list]] = {}
        for direction, (src, dst) in DIRECTIONS.items():
            x = ctx["inputs"][direction]
            out = translate(model, x, dst)
            back = translate(model, out, src)
            records.append(
                {
                    "method": job.model,
                    "family": model.family,
                    "seed": job.seed,
                    "direction": direction,
                    "parameters": params,
                    **measure(ctx, direction, x, out, back),
                }
            )
            if job.seed == 0:
                shown[direction] = {"out": out[:GRID_IMAGES].tolist(), "back": back[:GRID_IMAGES].tolist()}
        if shown:
            records.append({"method": job.model, "shown": shown})
        return records


def measure(
    ctx: dict[str, Any], direction: str, x: torch.Tensor, out: torch.Tensor, back: torch.Tensor | None
) -> dict[str, float]:
    """The four figures of one batch of translations `out` of inputs `x` (`back`: `out` translated back;
    None for a baseline that cannot translate back)."""
    from ganvae.metrics.frechet import frechet_distance
    from ganvae.metrics.translation import content_ssim, cycle_psnr, target_share

    clf = ctx["classifier"]
    _, dst = DIRECTIONS[direction]
    return {
        "target_share": target_share(clf.predict_proba(out), dst),
        "fd": frechet_distance(clf.features(out), ctx["reference"][direction]),
        "content_ssim": content_ssim(x, out),
        "cycle_psnr": cycle_psnr(x, back) if back is not None else float("nan"),
    }


def baselines(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """The two stand-ins with known answers, measured like the arms (seed 0, deterministic): the input
    unchanged (also translated back unchanged) and a random real image of the target domain's training
    split (nothing to translate back with)."""
    data = ctx["data"]
    runs = []
    for direction, (_, dst) in DIRECTIONS.items():
        x = ctx["inputs"][direction]
        pool = data.images("train", dst)
        pick = torch.randint(len(pool), (len(x),), generator=torch.Generator().manual_seed(dst))
        for name, out, back in ((IDENTITY, x, x), (RANDOM_TARGET, pool[pick].float(), None)):
            runs.append(
                {
                    "method": name,
                    "family": "baseline",
                    "seed": 0,
                    "direction": direction,
                    **measure(ctx, direction, x, out, back),
                }
            )
    return runs


def summarise(runs: list[dict[str, Any]], n_forward: int, n_reverse: int) -> dict[str, Any]:
    """Per direction and method: each figure as mean ± std over seeds; the claims and the verdict row
    (on the forward direction, source → target, the one asked for)."""
    from ganvae.experiment.translation_claims import evaluate_claims
    from ganvae.metrics.translation import TARGET_SHARE

    directions: dict[str, dict[str, dict[str, Any]]] = {}
    for direction in DIRECTIONS:
        rows = [r for r in runs if r["direction"] == direction]
        table: dict[str, dict[str, Any]] = {}
        for method in dict.fromkeys(r["method"] for r in rows):
            mine = [r for r in rows if r["method"] == method]
            table[method] = {
                "family": mine[0]["family"],
                **({"parameters": mine[0]["parameters"]} if "parameters" in mine[0] else {}),
                **{k: estimate([r[k] for r in mine]) for k in METRICS},
            }
        directions[direction] = table
    forward = directions["forward"]
    claims = evaluate_claims(forward)
    arms = {m: row for m, row in forward.items() if row["family"] != "baseline"}
    # the comparison report's row: adversarial arms against the VAE arm, on reaching the target domain
    families = {m: "vae" if row["family"] == "vae" else "gan" for m, row in arms.items()}
    verdict = use_case_row(
        "image-to-image translation",
        TARGET_SHARE,
        arms,
        families,
        label="share of translations classified as the target domain",
    )
    return {
        "images": {"forward": n_forward, "reverse": n_reverse},
        "directions": directions,
        "claims": claims,
        "runs": runs,
        "verdicts": [verdict] if verdict else [],
        "seeds": sorted({r["seed"] for r in runs if r["family"] != "baseline"}),
    }
