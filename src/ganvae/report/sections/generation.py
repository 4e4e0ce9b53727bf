"""The comparison's own page (`ganvae compare` on images, the "generation" use case): its figures drawn
from `metrics.json`, the embedded per-model figures that evaluation wrote, and the rows of its metric and
cost tables. `ganvae.report.html.write_report` renders them with `templates/report.html`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.experiment.search_figures import best_text
from ganvae.experiment.verdicts import display
from ganvae.metrics.meta import known
from ganvae.report.env import data_uri, fmt

COST_KEYS = {
    "train_s": "train s",
    "images_per_s": "images per s",
    "steps": "steps",
    "selected_step": "step of the kept weights (lowest validation FD)",
    "train_peak_memory_mb": "peak memory in training (MiB)",
    "eval_s": "eval s",
    "eval_peak_memory_mb": "peak memory in evaluation (MiB)",
    "encode_s_per_image": "encode s per image",
    # drawing, apart from training: a diffusion model pays here what a GAN pays in training
    "sample_s_per_image": "sampling s per image",
    "sample_mflops_per_image": "sampling MFLOPs per image (every step of the sampler)",
}
# drawn here from metrics.json (the last two with a hyperparameter search)
FIGURES = ("fd-curves", "losses", "latent-maps", "classes", "search-fd", "search-budget")
PER_MODEL = ("samples", "neighbours", "interp", "recon", "draws")  # written by the evaluation of seed 0


def cells(summary: dict[str, dict[str, dict]], key: str) -> list[str]:
    """`key` of every model of a summary as it reads ('0.53 ± 0.01', '0.53 (1 seed)', '2 of 3 runs')."""
    return [display(s.get(key)) for s in summary.values()]


def metric_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    summary, described = metrics["summary"], known()
    # a cost figure declared for the claims (sampling time) stays in the cost table only
    keys = [k for k in described if k not in COST_KEYS and any(k in s for s in summary.values())]
    return [
        {"label": described[k].label, "better": described[k].direction_text, "cells": cells(summary, k)}
        for k in keys
    ]


def cost_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
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


def memory_note(metrics: dict[str, Any]) -> str:
    """What the peak-memory rows measured (the same for every run of one machine)."""
    kinds = [r.get("memory_kind") or {} for r in metrics.get("runs", [])]
    train = sorted({k["train"] for k in kinds if k.get("train")})
    ev = sorted({k["eval"] for k in kinds if k.get("eval")})
    return "; ".join(
        [f"training: {', '.join(train)}" if train else "", f"evaluation: {', '.join(ev)}" if ev else ""]
    ).strip("; ")


def search_view(metrics: dict[str, Any]) -> dict[str, Any] | None:
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
                "margin": _margin(model, stats.get("margin"), mine.get("fd")),
            }
        )
    return {**search, "rows": rows}


def _margin(model: str, m: dict[str, Any] | None, fd: dict[str, Any] | None) -> str:
    """One sentence on whether the search's choice beat the model's own configuration by more than noise."""
    if not m:
        return ""
    if m["best_is_defaults"]:
        return f"{model}: its own configuration (trial 0) won the search."
    own, margin = fmt(m["defaults_value"]), fmt(m["margin"])
    text = f"{model}: the best trial beat its own configuration (trial 0, {own}) by {margin}"
    if m["wobble"] is not None:
        text += f", one seed each; trial 0's last evaluations vary by ± {fmt(m['wobble'])}"
    if fd and fd.get("std") is not None:
        text += f", and the chosen configuration's seeds by ± {fmt(fd['std'])} on test FD"
    if m["within_noise"]:
        text += ": a margin within the noise, so no evidence that the search improved on the defaults."
    elif m["within_noise"] is False:
        text += ": more than twice the noise of the objective."
    else:
        text += "."
    return text


def _cost(stats: dict[str, Any]) -> str:
    """What a search cost: the steps trained, in trials of the full budget, and the seconds of training."""
    if stats.get("full_trials") is None:
        return "—"
    return f"{fmt(stats['full_trials'])} full trials ({fmt(stats.get('train_s'))} s training)"


def draw_figures(metrics: dict[str, Any], fig: Path) -> None:
    """The comparison's figures drawn from `metrics.json`: FD against time, losses, latent maps, classes."""
    from ganvae.report import plots  # matplotlib loads only when a figure is drawn

    plots.fd_curves(metrics, fig / "fd-curves.png")
    plots.loss_curves(metrics, fig / "losses.png")
    plots.latent_maps(metrics, fig / "latent-maps.png")
    plots.class_histograms(metrics, fig / "classes.png")
    plots.search_fd(metrics, fig / "search-fd.png")
    plots.search_budget(metrics, fig / "search-budget.png")


def page(metrics: dict[str, Any], fig: Path) -> dict[str, Any]:
    """What `templates/report.html` shows besides `metrics.json` itself (`m`)."""
    models = list(metrics["summary"])
    return {
        "models": models,
        "per_model": {m: {kind: data_uri(fig / f"{kind}-{m}.png") for kind in PER_MODEL} for m in models},
        "figures": {k: data_uri(fig / f"{k}.png") for k in FIGURES},
        "metric_rows": metric_rows(metrics),
        "cost_rows": cost_rows(metrics),
        "memory_note": memory_note(metrics),
        "diverged": {m: display(metrics["summary"][m].get("diverged_share")) for m in models},
        "search": search_view(metrics),
        "devices": sorted(
            {f"{r.get('device')} ({r.get('precision')})" for r in metrics["runs"] if r.get("device")}
        ),
    }
