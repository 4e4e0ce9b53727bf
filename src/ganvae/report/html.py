"""Render `report.html` from a run folder: one self-contained file (images embedded as data URIs),
readable offline and sensible when printed. Reads `metrics.json` and `figures/`; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.atomic import write_text
from ganvae.experiment.search_figures import best_text
from ganvae.experiment.verdicts import display
from ganvae.metrics.meta import known
from ganvae.report import plots
from ganvae.report.env import data_uri, environment, fmt
from ganvae.report.section import merge_task_verdicts, read_metrics, task_sections
from ganvae.run_folder import RunFolder

COST_KEYS = {
    "train_s": "train s",
    "images_per_s": "images per s",
    "steps": "steps",
    "train_peak_memory_mb": "peak memory in training (MiB)",
    "eval_s": "eval s",
    "eval_peak_memory_mb": "peak memory in evaluation (MiB)",
    "encode_s_per_image": "encode s per image",
}


def cells(summary: dict[str, dict[str, dict]], key: str) -> list[str]:
    """`key` of every model of a summary as it reads ('0.53 ± 0.01', '0.53 (1 seed)', '2 of 3 runs')."""
    return [display(s.get(key)) for s in summary.values()]


def _metric_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    summary, described = metrics["summary"], known()
    keys = [k for k in described if any(k in s for s in summary.values())]
    return [
        {"label": described[k].label, "better": described[k].direction_text, "cells": cells(summary, k)}
        for k in keys
    ]


def _cost_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    summary = metrics["summary"]
    parts = sorted({k for s in summary.values() for k in s if k.startswith(("params_", "mflops_"))})
    rows = []
    for k in [*parts, *COST_KEYS]:
        if not any(k in s for s in summary.values()):
            continue
        label = COST_KEYS.get(k) or k.replace("params_", "parameters: ").replace(
            "mflops_", "forward MFLOPs/sample: "
        )
        rows.append({"label": label, "cells": cells(summary, k)})
    return rows


def _memory_note(metrics: dict[str, Any]) -> str:
    """What the peak-memory rows measured (the same for every run of one machine)."""
    kinds = [r.get("memory_kind") or {} for r in metrics.get("runs", [])]
    train = sorted({k["train"] for k in kinds if k.get("train")})
    ev = sorted({k["eval"] for k in kinds if k.get("eval")})
    return "; ".join(
        [f"training: {', '.join(train)}" if train else "", f"evaluation: {', '.join(ev)}" if ev else ""]
    ).strip("; ")


def _search(metrics: dict[str, Any]) -> dict[str, Any] | None:
    """The report's view of a hyperparameter search (None without one)."""
    search = metrics.get("search")
    if not search:
        return None
    rows = []
    for model, rec in search["models"].items():
        stats, c, mine = rec.get("stats") or {}, rec["counts"], metrics["summary"].get(model, {})
        failed = [t for t in rec["trials"] if t["state"] == "fail"]
        retried = sum(t["retried"] for t in failed)
        curve = stats.get("budget_curve") or []
        ks = sorted({1, (len(curve) + 1) // 2, len(curve)} - {0})
        miss = mine.get("search_miss_share")
        rows.append(
            {
                "model": model,
                "family": metrics["families"].get(model, ""),
                "text": best_text(rec),
                "trials": f"{c['complete']} completed, {c['pruned']} pruned"
                + (f", {len(failed)} failed ({retried} retried)" if failed else ""),
                "best": fmt(rec["best"]["value"]) if rec.get("best") else "—",
                "params": ", ".join(
                    f"{k}={fmt(v) if isinstance(v, float) else v}"
                    for k, v in (rec.get("best") or {}).get("params", {}).items()
                ),
                "diverged": display(mine.get("search_diverged_share")),
                "missed": display(miss)
                + (f" (95 % CI {100 * miss['lo']:.0f}–{100 * miss['hi']:.0f} %)" if miss else ""),
                "budget": " · ".join(f"k={k}: {fmt(curve[k - 1])}" for k in ks),
                "importance": " · ".join(f"{k} {v:.2f}" for k, v in rec["importance"].items())
                if rec.get("importance")
                else f"— ({rec.get('importance_note')})",
                "space": "; ".join(f"{k}: {v}" for k, v in rec["space"].items()),
                "fixed": ", ".join(f"{k}={v}" for k, v in rec.get("fixed", {}).items()),
                "cost": _cost(stats),
            }
        )
    return {**search, "rows": rows}


def _cost(stats: dict[str, Any]) -> str:
    """What a search cost: the steps trained, in trials of the full budget, and the seconds of training."""
    if stats.get("full_trials") is None:
        return "—"
    return f"{fmt(stats['full_trials'])} full trials ({fmt(stats.get('train_s'))} s training)"


def write_report(run_dir: str | Path) -> Path:
    """(Re-)render `run_dir/report.html` from `run_dir/metrics.json` and `run_dir/figures/`."""
    run_dir = Path(run_dir)
    metrics = read_metrics(run_dir, "compare")
    fig = RunFolder(run_dir).figures
    plots.fd_curves(metrics, fig / "fd-curves.png")
    plots.loss_curves(metrics, fig / "losses.png")
    plots.latent_maps(metrics, fig / "latent-maps.png")
    plots.class_histograms(metrics, fig / "classes.png")
    plots.search_fd(metrics, fig / "search-fd.png")
    plots.search_budget(metrics, fig / "search-budget.png")
    models = list(metrics["summary"])
    per_model = {
        m: {
            kind: data_uri(fig / f"{kind}-{m}.png")
            for kind in ("samples", "neighbours", "interp", "recon", "draws")
        }
        for m in models
    }
    metrics = merge_task_verdicts(metrics, run_dir)  # a task run in RUN/tasks fills its use case's row
    html = (
        environment()
        .get_template("report.html")
        .render(
            m=metrics,
            task_sections=task_sections(run_dir),
            models=models,
            per_model=per_model,
            figures={
                k: data_uri(fig / f"{k}.png")
                for k in ("fd-curves", "losses", "latent-maps", "classes", "search-fd", "search-budget")
            },
            search=_search(metrics),
            metric_rows=_metric_rows(metrics),
            cost_rows=_cost_rows(metrics),
            memory_note=_memory_note(metrics),
            diverged={m: display(metrics["summary"][m].get("diverged_share")) for m in models},
            devices=sorted(
                {f"{r.get('device')} ({r.get('precision')})" for r in metrics["runs"] if r.get("device")}
            ),
        )
    )
    out = RunFolder(run_dir).report
    write_text(out, html)
    return out
