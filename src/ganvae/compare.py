"""`compare`: several models x seeds on one dataset at one budget -> a run folder with every figure.

Every (model, seed) gets the same data, split, budget, batch size and evaluation; runs go one after
another or in parallel processes (`jobs`). A comparison interrupted and started again with the same
`out` reuses finished runs, resumes unfinished ones from their checkpoints and trains the rest.

With `search` = N, each model first gets N hyperparameter trials on a validation split of the training
data (`experiment.search`), and its seeds train with the best configuration found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from ganvae.atomic import write_json
from ganvae.errors import ConfigError, TrainingDiverged
from ganvae.evaluate.images import EvalConfig
from ganvae.experiment.intervals import RULE
from ganvae.experiment.runner import Job, run_jobs
from ganvae.experiment.search import SearchPlan
from ganvae.experiment.verdicts import estimate, no_usable_generator, share, spread, use_case_row
from ganvae.folder_lock import locking
from ganvae.metrics import stability
from ganvae.metrics.usability import RULE as USABLE_RULE
from ganvae.run_folder import CONFIG, EVAL, RunFolder
from ganvae.small_data import is_small, rule_line
from ganvae.status import in_worker, say, sayer, stage
from ganvae.training.memory import PeakMemory


@dataclass
class CompareConfig(SearchPlan):
    needs: ClassVar[frozenset[str]] = frozenset({"sample"})
    eval: EvalConfig = field(default_factory=EvalConfig)
    # which weights of each run are evaluated: the last, the best on validation FD (a validation split is
    # held out of training), or auto: best on a small training split (small_data.py), else last
    checkpoint: str = "auto"

    def validate(self) -> None:
        super().validate()  # the plan, and the search's options (`SearchPlan`)
        if self.checkpoint not in CHECKPOINTS:
            raise ConfigError(f"--checkpoint {self.checkpoint!r} unknown; choose {', '.join(CHECKPOINTS)}")
        if self.eval.n_samples < 20 or self.eval.n_recon < 8:
            raise ConfigError("--samples must be at least 20 and --recon-images at least 8")

    def selects(self, n_train: int) -> bool:
        """Whether each run keeps its weights at its lowest validation FD on a training split of `n_train`
        (the search's trials too, so that a trial is scored as the seeds will be)."""
        return self.checkpoint == "best" or (self.checkpoint == "auto" and is_small(n_train))

    def settings(self) -> dict[str, Any]:
        values = super().settings()
        if values.get("checkpoint") == "auto":  # folders written before --checkpoint existed stay valid
            values.pop("checkpoint")
        return values


CHECKPOINTS = ("auto", "last", "best")


class _Context:
    """Data, domain classifier and real-data reference: built once per process. With a validation split
    (`--checkpoint best`, or auto on small data) the models train on `train_data`, the training split
    without it, and each run keeps its weights at its lowest validation FD; `data` (test split, anchors,
    memorisation search) is the same either way."""

    def __init__(self, cfg: CompareConfig, progress: bool = False):
        from ganvae.data import load_images
        from ganvae.evaluate.images import Reference
        from ganvae.experiment.search_images import ValidationFD, validation_split
        from ganvae.features import get_domain_classifier

        with stage(cfg.data, None, "loaded", progress):
            self.data = load_images(cfg.data, image_size=cfg.image_size)
        doing = "loading it from the cache, or fitting it (once per dataset)"
        with stage("domain classifier", doing, "ready", progress):
            self.classifier = get_domain_classifier(self.data)
        with stage("real images", "features of the test and training splits", "ready", progress):
            self.ref = Reference(self.data, self.classifier, cfg.eval)
        n_train = len(self.data.x_train)
        self.small = is_small(n_train)
        self.selecting = cfg.selects(n_train)
        self.train_data, self.validation = self.data, None
        if self.selecting:  # the split a search holds out, so a search and the seeds see the same images
            opts = cfg.search_options
            self.train_data = validation_split(self.data, opts.validation_share, opts.seed)
            x_val = self.train_data.x_test
            self.validation = ValidationFD(x_val, self.classifier, len(x_val), cfg.eval.curve_samples)

    def curve_evaluator(self):
        """The FD-vs-time curve (against the test split: it shows, never chooses) and, with a validation
        split, the validation FD that chooses each run's checkpoint."""
        test_fd, validation = self.ref.curve_evaluator(), self.validation
        if validation is None:
            return test_fd
        return lambda model: {**test_fd(model), "val_fd": validation(model)}

    def train_config(self, cfg: CompareConfig, seed: int):
        select = {"select": "val_fd"} if self.selecting else {}
        return cfg.train_config(seed, len(self.train_data.x_train), **select)

    def small_data_line(self, cfg: CompareConfig) -> str | None:
        """What the small-data rule changes here (None when the training split is not small)."""
        if not self.small:
            return None
        n_val = len(self.train_data.x_test) if self.selecting else 0
        default = cfg.budget() != cfg.budget(len(self.train_data.x_train))
        epochs = cfg.budget(len(self.train_data.x_train))["epochs"] if default else None
        return rule_line(len(self.data.x_train), n_val, selecting=self.selecting, epochs=epochs)


@dataclass
class Comparison:
    """`compare` as an experiment of the one runner: each job trains (or reuses) one (model, seed) with
    the FD-vs-time curve, then evaluates it (`evaluate_run`)."""

    cfg: CompareConfig
    out: Path
    progress: bool = True
    tuned: dict[str, dict[str, Any]] = field(default_factory=dict)  # the search's best, per model

    def context(self) -> _Context:
        # a --jobs worker builds its own context silently: the parent has said what it loads
        return _Context(self.cfg, self.progress and not in_worker())

    def record_path(self, job: Job) -> Path:
        return RunFolder(self.out).model(job.model, job.seed) / EVAL

    def run(self, ctx: _Context, job: Job) -> list[dict]:
        from ganvae.training.run import train_or_reuse

        cfg, folder = self.cfg, RunFolder(self.out).model(job.model, job.seed)
        try:
            model = train_or_reuse(
                job.model,
                ctx.train_data,
                folder,
                ctx.train_config(cfg, job.seed),
                {**cfg.overrides_for(job.model), **self.tuned.get(job.model, {})} or None,
                data_spec=cfg.data_spec(),
                progress=self.progress,
                evaluate=ctx.curve_evaluator(),
                tracking=cfg.tracking,
            )
        except TrainingDiverged as exc:
            return [
                {
                    "model": job.model,
                    "seed": job.seed,
                    "diverged": True,
                    "reason": str(exc),
                    "family": _family(job.model),
                    "curve": _curve(_read_log(folder)),
                }
            ]
        meta = json.loads((folder / CONFIG).read_text())
        record = evaluate_run(
            model,
            ctx.ref,
            job.model,
            job.seed,
            result=meta.get("result", {}),
            log=_read_log(folder),
            figures=RunFolder(self.out).figures if job.seed == 0 else None,
            say=sayer(f"{job.model} seed {job.seed}", self.progress),
        )
        return [record]


def evaluate_run(
    model,
    ref,
    model_name: str,
    seed: int,
    *,
    result: dict[str, Any] | None = None,
    log: list[dict] | tuple = (),
    figures: Path | None = None,
    say=None,
) -> dict[str, Any]:
    """The record of one trained (model, seed) that `summarise` reads: every figure of `evaluate_model`,
    the training cost from `result` (the run's config.json), and the FD curve and losses from its log.
    `say`: gets a line per stage of the evaluation."""
    from ganvae.evaluate.images import evaluate_model

    result = result or {}
    with PeakMemory() as eval_peak:  # evaluation runs on the CPU
        metrics, artefacts = evaluate_model(model, ref, figures, model_name, say=say)
    metrics.update(
        train_s=result.get("elapsed_s"),
        images_per_s=result.get("images_per_s"),
        steps=result.get("step"),
        # with a validation split, the weights evaluated are those of this step (`--checkpoint best`)
        **({"selected_step": result["selected"]["step"]} if "selected" in result else {}),
        train_peak_memory_mb=result.get("peak_memory_mb"),
        eval_peak_memory_mb=eval_peak.mb,
    )
    curve = _curve(log)
    reason = stability.blew_up(curve)
    return {
        "model": model_name,
        "seed": seed,
        "diverged": reason is not None,
        **({"reason": reason} if reason else {}),
        "memory_kind": {"train": result.get("peak_memory_kind"), "eval": eval_peak.kind},
        "family": model.family,
        "metrics": metrics,
        "artefacts": artefacts,
        "curve": curve,
        "losses": [r for r in log if r.get("kind") != "eval"],
        "device": result.get("device"),
        "precision": result.get("precision"),
    }


def _curve(log) -> list:
    return [(r["time_s"], r["step"], r["fd"]) for r in log if r.get("kind") == "eval" and "fd" in r]


def _family(model_name: str) -> str:
    from ganvae.registry import MODELS

    return MODELS.get(model_name).factory.family


def _read_log(folder: Path) -> list[dict]:
    path = RunFolder(folder).log
    return [json.loads(x) for x in path.read_text().splitlines() if x] if path.is_file() else []


def summarise(runs: list[dict]) -> tuple[dict[str, dict[str, dict]], dict[str, Any]]:
    """Every figure per model over seeds (`verdicts.estimate`), plus the stability figures: the spread of
    log FD over every run with an FD (blown-up runs included), the share of diverged runs, and the share
    of runs reaching a common FD target with the time they took (claim 9)."""
    by_model: dict[str, list[dict]] = {}
    for r in runs:
        by_model.setdefault(r["model"], []).append(r)
    # target and curves at one sample size: FD is biased by the number of samples
    target = stability.fd_target([r.get("curve") or [] for r in runs])
    summary: dict[str, dict[str, dict]] = {}
    for model, rs in by_model.items():
        ok = [r for r in rs if "metrics" in r]
        keys = sorted({k for r in ok for k, v in r["metrics"].items() if isinstance(v, int | float)})
        s: dict[str, dict] = {
            k: estimate([float(r["metrics"][k]) for r in ok if isinstance(r["metrics"].get(k), int | float)])
            for k in keys
        }
        s["fd_spread"] = spread(stability.log_fds([r["metrics"].get("fd") for r in ok]))
        s["diverged_share"] = share(sum(bool(r["diverged"]) for r in rs), len(rs))
        if target is not None:
            times = [stability.time_to_target(r.get("curve") or [], target) for r in rs]
            reached = [t for t in times if t is not None]
            s["reach_share"] = share(len(reached), len(rs))
            if reached:
                s["time_to_target_s"] = estimate(reached)
        summary[model] = s
    return summary, {"fd_target": target}


# (use case, its figure, whether it rests on generated images: then no winner among models that are not
# usable generators, the claim that judges the same ground on more figures)
USE_CASES = (
    ("realistic generation", "fd", True, 1),
    ("reconstruction / denoising", "recon_psnr", False, 7),
    ("latent exploration (interpolation, morphing)", "path_length_ratio", True, 3),
    ("diverse synthetic data", "coverage", True, 5),
)


def use_case_verdicts(
    summary: dict, families: dict[str, str], claims: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """For each use case: the best model on its metric and whether it clearly beats the other family's
    (none, and a sentence saying so, for the generative ones when no model is a usable generator).

    Each row names its claim and that claim's verdict: a row wins on one figure, the claim weighs several
    (diversity: coverage, recall and classes), so "vae, coverage clear" beside "claim 5: does not hold"
    (recall clearly the GAN's) is two true statements the reader must see together, not a contradiction."""
    unusable = no_usable_generator(summary)
    verdict_of = {c["number"]: c["verdict"] for c in claims or ()}
    out = []
    for use, metric, generative, claim in USE_CASES:
        # the comparison's verdict table stays GAN against VAE: a diffusion model is judged by its own
        # claims (10-12, `experiment.claims`) beside its column of figures
        row = use_case_row(use, metric, summary, families, contenders=("gan", "vae"))
        if row and unusable and generative:
            row = {"use_case": use, "metric": row["metric"], "winner": None, "note": unusable}
        if row:
            if claim in verdict_of:
                row["claim"] = {"number": claim, "verdict": verdict_of[claim]}
            out.append(row)
    out.append(
        {
            "use_case": "anomaly detection",
            "metric": "AUROC",
            "winner": None,
            "note": "not measured by `compare`: `ganvae task anomaly --out RUN/tasks/anomaly` fills this row",
        }
    )
    return out


@locking("out")  # the comparison folder; each (model, seed) folder has its own lock (`folder_lock`)
def compare(
    cfg: CompareConfig,
    out: str | Path,
    *,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train and evaluate every (model, seed); write metrics.json and the report into `out`. A folder that
    already holds this comparison is continued with `resume` (finished runs reused, unfinished ones resumed
    from their checkpoints) or replaced with `overwrite` (`experiment.rerun`), as `ganvae train` does."""
    from ganvae.experiment.rerun import Rerun
    from ganvae.training.run import versions

    cfg.validate()
    out = Path(out)
    saved = RunFolder(out).config
    resolved: dict[str, Any] = {"compare": cfg.settings(), "command": command}
    # --resume with more seeds or models adds their runs (`Rerun.growable`)
    rerun = Rerun(out, "a comparison", resume, overwrite, growable=True)
    continued = rerun.enter(lambda config: config.get("compare"), cfg)
    ctx = _Context(cfg, progress)  # validates the data before anything is written
    resolved["budget"] = cfg.budget(len(ctx.train_data.x_train))
    if line := ctx.small_data_line(cfg):
        say(line)
        resolved["small_data"] = line
    rerun.clear()
    out.mkdir(parents=True, exist_ok=True)
    resolved["versions"] = versions()
    write_json(saved, resolved)
    from ganvae.training.tracking import TopRun, summary_metrics

    # --logger: the comparison is one tracked run, each (model, seed) run one of its children
    with TopRun(cfg.tracking, out, resume=continued, params=resolved["compare"]) as tracked:
        result = _measure(replace(cfg, tracking=tracked.children), out, ctx, resolved, progress, command)
        lines = [f"{v['use_case']}: {v.get('winner') or '-'}" for v in result["verdicts"]]
        lines += [f"claim {c['number']} ({c['text']}): {c['verdict']}" for c in result["claims"]]
        folder = RunFolder(out)
        tracked.finish(summary_metrics(result["summary"]), "\n".join(lines), (folder.report, folder.metrics))
    return result


def _measure(
    cfg: CompareConfig, out: Path, ctx: _Context, resolved: dict[str, Any], progress: bool, command: str
) -> dict[str, Any]:
    """The comparison's runs (after any search), their summary, claims and verdicts, metrics.json and the
    report."""
    from ganvae.experiment.claims import as_dicts, evaluate_claims

    saved = RunFolder(out).config
    search, tuned = None, {}
    if cfg.search:
        from ganvae.experiment.search import search_models

        search = search_models(cfg, ctx.data, ctx.classifier, out, progress=progress)
        tuned = {m: rec["best"]["params"] for m, rec in search["models"].items() if rec["best"]}
        resolved["search"] = {"storage": search["storage"], "best": tuned}
        write_json(saved, resolved)

    jobs = [Job(m, s) for m in cfg.models for s in range(cfg.seeds)]
    # with --jobs the workers write progress lines, labelled by model and seed (`ganvae.status`)
    experiment = Comparison(cfg, out, progress=progress, tuned=tuned)
    runs = run_jobs(experiment, jobs, n_jobs=cfg.jobs, ctx=ctx, progress=progress)

    summary, extra = summarise(runs)
    if search is not None:
        from ganvae.experiment.search_figures import search_entries

        entries, search["fd_target"] = search_entries(search["models"], resolved["budget"])
        for model, figures in entries.items():
            summary[model].update(figures)
    families = {m: _family(m) for m in cfg.models}
    result = {
        "data": {**ctx.data.describe(), "spec": cfg.data, "source": ctx.data.source},
        "features": {
            "name": ctx.classifier.feature_name,
            "test_accuracy": ctx.classifier.accuracy_,
            "inception": ctx.ref.inception.inception.name if ctx.ref.inception else None,
        },
        "budget": resolved["budget"],
        **({"small_data": resolved["small_data"]} if "small_data" in resolved else {}),
        "validation": ({"n": len(ctx.train_data.x_test), "select": "val_fd"} if ctx.selecting else None),
        "eval": {
            "n_samples": len(ctx.ref.x_test),
            "n_recon": len(ctx.ref.recon_idx),
            "n_train_searched": len(ctx.ref.train_feat),
            "curve_samples": cfg.eval.curve_samples,
            # the anchors of `fd_gap_closed` at the same N (metrics.usability)
            "fd_floor": ctx.ref.fd_floor,
            "fd_baseline": ctx.ref.fd_baseline,
            "usable_rule": USABLE_RULE,
        },
        "rule": RULE,
        "seeds": cfg.seeds,
        "families": families,
        "runs": runs,
        "summary": summary,
        **extra,
        "claims": (claims := as_dicts(evaluate_claims(summary, families))),
        "verdicts": use_case_verdicts(summary, families, claims),
        **({"search": search} if search is not None else {}),
        "command": command,
        "versions": resolved["versions"],
    }
    write_json(RunFolder(out).metrics, result)
    from ganvae.report.html import write_report

    write_report(out)
    return result
