"""`compare`: several models x seeds on one dataset at one budget -> a run folder with every figure.

Every (model, seed) gets the same data, split, budget, batch size and evaluation; runs go one after
another or in parallel processes (`jobs`). A comparison interrupted and started again with the same
`out` reuses finished runs, resumes unfinished ones from their checkpoints and trains the rest.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganvae.atomic import write_json
from ganvae.errors import ConfigError, TrainingDiverged
from ganvae.evaluate import EvalConfig
from ganvae.plan import RunPlan
from ganvae.run_folder import EVAL, RunFolder
from ganvae.tasks.base import mean_std
from ganvae.training.memory import PeakMemory

CURVE_BLOWUP = 3.0  # a final FD this many times the run's best counts as a blow-up (diverged)
TARGET_FACTOR = 1.5  # claim 9: the FD target is this many times the best final FD of all runs


@dataclass
class CompareConfig(RunPlan):
    jobs: int = 1
    eval: EvalConfig = field(default_factory=EvalConfig)

    def validate(self) -> None:
        super().validate()
        if self.jobs < 1:
            raise ConfigError("--jobs must be at least 1")
        if self.eval.n_samples < 20 or self.eval.n_recon < 8:
            raise ConfigError("--samples must be at least 20 and --recon-images at least 8")


class _Context:
    """Data, domain classifier and real-data reference: built once per process."""

    def __init__(self, cfg: CompareConfig):
        from ganvae.data import load_images
        from ganvae.evaluate import Reference
        from ganvae.features import get_domain_classifier

        self.data = load_images(cfg.data, image_size=cfg.image_size)
        self.classifier = get_domain_classifier(self.data)
        self.ref = Reference(self.data, self.classifier, cfg.eval)


def _run_one(
    cfg: CompareConfig, out: Path, model_name: str, seed: int, ctx: _Context, progress: bool
) -> dict:
    from ganvae.evaluate import evaluate_model
    from ganvae.training.run import train_or_reuse

    folder = RunFolder(out).model(model_name, seed)
    done = folder / EVAL
    if done.is_file():
        return json.loads(done.read_text())
    record: dict[str, Any] = {"model": model_name, "seed": seed, "diverged": False}
    try:
        model = train_or_reuse(
            model_name,
            ctx.data,
            folder,
            cfg.train_config(seed),
            cfg.overrides_for(model_name) or None,
            data_spec=cfg.data_spec(),
            progress=progress,
            evaluate=ctx.ref.curve_evaluator(),
        )
    except TrainingDiverged as exc:
        record.update(diverged=True, reason=str(exc), family=_family(model_name))
        write_json(done, record)
        return record
    meta = json.loads((folder / "config.json").read_text())
    with PeakMemory() as eval_peak:  # evaluation runs on the CPU
        metrics, artefacts = evaluate_model(
            model, ctx.ref, out / "figures" if seed == 0 else None, model_name
        )
    result = meta.get("result", {})
    metrics.update(
        train_s=result.get("elapsed_s"),
        images_per_s=result.get("images_per_s"),
        steps=result.get("step"),
        train_peak_memory_mb=result.get("peak_memory_mb"),
        eval_peak_memory_mb=eval_peak.mb,
    )
    log = _read_log(folder)
    curve = [(r["time_s"], r["step"], r["fd"]) for r in log if r.get("kind") == "eval" and "fd" in r]
    losses = [r for r in log if r.get("kind") != "eval"]
    fds = [c[2] for c in curve if c[2] is not None and math.isfinite(c[2])]
    if fds and fds[-1] > CURVE_BLOWUP * min(fds):
        record.update(diverged=True, reason=f"FD rose from {min(fds):.3g} to {fds[-1]:.3g} during training")
    record.update(
        memory_kind={"train": result.get("peak_memory_kind"), "eval": eval_peak.kind},
        family=model.family,
        metrics=metrics,
        artefacts=artefacts,
        curve=curve,
        losses=losses,
        device=result.get("device"),
        precision=result.get("precision"),
    )
    write_json(done, record)
    return record


def _family(model_name: str) -> str:
    from ganvae.registry import MODELS

    return MODELS.get(model_name).factory.family


def _read_log(folder: Path) -> list[dict]:
    path = folder / "log.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x] if path.is_file() else []


_WORKER_CTX: dict[str, _Context] = {}


def _worker_init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _worker(cfg: CompareConfig, out: Path, model_name: str, seed: int) -> dict:
    if "ctx" not in _WORKER_CTX:  # one context per worker process, reused by its later jobs
        _WORKER_CTX["ctx"] = _Context(cfg)
    return _run_one(cfg, out, model_name, seed, _WORKER_CTX["ctx"], progress=False)


def summarise(runs: list[dict]) -> tuple[dict[str, dict[str, dict]], dict[str, Any]]:
    """Mean ± std (over seeds) of every metric per model, plus stability and time-to-target figures."""
    by_model: dict[str, list[dict]] = {}
    for r in runs:
        by_model.setdefault(r["model"], []).append(r)
    finals = [
        r["metrics"]["fd"] for r in runs if not r["diverged"] and r.get("metrics", {}).get("fd") is not None
    ]
    target = TARGET_FACTOR * min(finals) if finals else None
    summary: dict[str, dict[str, dict]] = {}
    for model, rs in by_model.items():
        ok = [r for r in rs if "metrics" in r]
        keys = sorted({k for r in ok for k, v in r["metrics"].items() if isinstance(v, int | float)})
        s: dict[str, dict] = {}
        for k in keys:
            vals = [float(r["metrics"][k]) for r in ok if isinstance(r["metrics"].get(k), int | float)]
            s[k] = mean_std(vals)
        fd = [r["metrics"]["fd"] for r in ok if not r["diverged"] and r["metrics"].get("fd") is not None]
        if len(fd) >= 2:
            s["fd_cv"] = _single(float(np.std(fd, ddof=1) / np.mean(fd)), len(fd))
        s["diverged"] = _single(float(sum(r["diverged"] for r in rs)), len(rs))
        if target is not None:
            times = [_time_to(r.get("curve", []), target) for r in ok]
            reached = [t for t in times if t is not None]
            s["reach_share"] = _single(len(reached) / len(rs), len(rs))
            if reached:
                s["time_to_target_s"] = mean_std(reached)
        summary[model] = s
    return summary, {"fd_target": target}


def _time_to(curve: list, target: float) -> float | None:
    for time_s, _, fd in curve:
        if fd is not None and fd <= target:
            return float(time_s)
    return None


def _single(value: float, n: int) -> dict[str, Any]:
    """A figure computed once from n runs (a spread, a share): no std of its own."""
    return {"mean": value, "std": 0.0, "n": n, "values": []}


USE_CASES = (
    ("realistic generation", "fd"),
    ("reconstruction / denoising", "recon_psnr"),
    ("latent exploration (interpolation, morphing)", "path_length_ratio"),
    ("diverse synthetic data", "coverage"),
)


def use_case_verdicts(summary: dict, families: dict[str, str]) -> list[dict[str, Any]]:
    """For each use case: the best model on its metric and its margin over the other family's best."""
    from ganvae.claims import METRICS, best_of_family

    out = []
    for use, metric in USE_CASES:
        label, better = METRICS[metric]
        sides = [s for fam in ("gan", "vae") if (s := best_of_family(summary, families, fam, metric))]
        if not sides:
            continue
        sides.sort(key=lambda s: s.mean, reverse=better == "higher")
        best = sides[0]
        row: dict[str, Any] = {
            "use_case": use,
            "metric": label,
            "winner": best.model,
            "family": families[best.model],
            "value": best.mean,
            "std": best.std,
        }
        if len(sides) == 2:
            rival = sides[1]
            gap = abs(best.mean - rival.mean)
            row.update(
                runner_up=rival.model,
                runner_value=rival.mean,
                runner_std=rival.std,
                margin_pct=100 * gap / max(abs(rival.mean), 1e-12),
                clear=min(best.n, rival.n) >= 2 and gap > best.std + rival.std,
            )
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


def compare(
    cfg: CompareConfig, out: str | Path, *, progress: bool = True, command: str = ""
) -> dict[str, Any]:
    """Train and evaluate every (model, seed); write metrics.json and the report into `out`."""
    from ganvae.claims import as_dicts, evaluate_claims
    from ganvae.training.run import versions

    cfg.validate()
    out = Path(out)
    saved = out / "config.json"
    resolved = {"compare": dataclasses.asdict(cfg), "budget": cfg.budget(), "command": command}
    if saved.is_file():
        before = json.loads(saved.read_text())
        if before.get("compare") != json.loads(json.dumps(resolved["compare"])):  # tuples come back as lists
            raise ConfigError(
                f"{out} holds a comparison with other settings; use another --out or the same options"
            )
    ctx = _Context(cfg)  # validates the data before anything is written
    out.mkdir(parents=True, exist_ok=True)
    resolved["versions"] = versions()
    write_json(saved, resolved)

    jobs = [(m, s) for m in cfg.models for s in range(cfg.seeds)]
    if cfg.jobs > 1:
        import multiprocessing as mp

        threads = max(1, (os.cpu_count() or 1) // cfg.jobs)
        # Idle OpenMP threads spin by default and starve the other workers on shared cores (measured:
        # 50x slower fits); the spawned workers inherit this before they import torch.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        with ProcessPoolExecutor(
            cfg.jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init, initargs=(threads,)
        ) as pool:
            runs = list(pool.map(_worker, *zip(*[(cfg, out, m, s) for m, s in jobs], strict=True)))
    else:
        runs = [_run_one(cfg, out, m, s, ctx, progress) for m, s in jobs]

    summary, extra = summarise(runs)
    families = {m: _family(m) for m in cfg.models}
    result = {
        "data": {
            "name": ctx.data.name,
            "spec": cfg.data,
            "source": ctx.data.source,
            "shape": list(ctx.data.shape),
            "n_train": len(ctx.data.x_train),
            "n_test": len(ctx.data.x_test),
            "class_names": ctx.data.class_names,
        },
        "features": {
            "name": ctx.classifier.feature_name,
            "test_accuracy": ctx.classifier.accuracy_,
            "inception": ctx.ref.inception.inception.name if ctx.ref.inception else None,
        },
        "budget": resolved["budget"],
        "eval": {"n_samples": len(ctx.ref.x_test), "n_recon": len(ctx.ref.recon_idx)},
        "seeds": cfg.seeds,
        "families": families,
        "runs": runs,
        "summary": summary,
        **extra,
        "claims": as_dicts(evaluate_claims(summary, families)),
        "verdicts": use_case_verdicts(summary, families),
        "command": command,
        "versions": resolved["versions"],
    }
    write_json(out / "metrics.json", result)
    from ganvae.report.html import write_report

    write_report(out)
    return result
