"""Render `report.html` from a run folder: one self-contained file (images embedded as data URIs),
readable offline and sensible when printed. Reads `metrics.json` and `figures/`; never trains."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ganvae.atomic import write_text
from ganvae.claims import METRICS
from ganvae.errors import DataError
from ganvae.report import plots

COST_KEYS = ("train_s", "images_per_s", "steps", "process_peak_rss_mb", "eval_s", "encode_s_per_image")
HIDDEN = {"diverged", "values"}


def _data_uri(path: Path) -> str | None:
    if not path.is_file():
        return None
    kind = "gif" if path.suffix == ".gif" else "png"
    return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def fmt(value: Any, std: Any = None) -> str:
    """Format a figure with 3 significant digits, with ± std when given."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:
        text = f"{value:.3g}" if abs(value) < 1e5 else f"{value:,.0f}"
    if std:
        text += f" ± {std:.2g}"
    return text


def cells(summary: dict[str, dict[str, dict]], key: str) -> list[str]:
    """`mean ± std` of `key` for every model of a summary ("—" where a model lacks it)."""
    return [fmt(s[key]["mean"], s[key]["std"]) if key in s else "—" for s in summary.values()]


def _metric_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    summary = metrics["summary"]
    keys = [k for k in METRICS if any(k in s for s in summary.values())]
    return [{"label": METRICS[k][0], "better": METRICS[k][1], "cells": cells(summary, k)} for k in keys]


def _cost_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    summary = metrics["summary"]
    parts = sorted({k for s in summary.values() for k in s if k.startswith(("params_", "mflops_"))})
    rows = []
    for k in [*parts, *COST_KEYS]:
        if not any(k in s for s in summary.values()):
            continue
        label = (
            k.replace("params_", "parameters: ")
            .replace("mflops_", "forward MFLOPs/sample: ")
            .replace("_", " ")
        )
        rows.append({"label": label, "cells": cells(summary, k)})
    return rows


def write_report(run_dir: str | Path) -> Path:
    """(Re-)render `run_dir/report.html` from `run_dir/metrics.json` and `run_dir/figures/`."""
    run_dir = Path(run_dir)
    path = run_dir / "metrics.json"
    if not path.is_file():
        raise DataError(f"{path} not found; give a folder written by `ganvae compare`")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc}); re-run the comparison") from None
    fig = run_dir / "figures"
    plots.fd_curves(metrics, fig / "fd-curves.png")
    plots.loss_curves(metrics, fig / "losses.png")
    plots.latent_maps(metrics, fig / "latent-maps.png")
    plots.class_histograms(metrics, fig / "classes.png")
    models = list(metrics["summary"])
    per_model = {
        m: {
            kind: _data_uri(fig / f"{kind}-{m}.png")
            for kind in ("samples", "neighbours", "interp", "recon", "draws")
        }
        for m in models
    }
    env = Environment(loader=PackageLoader("ganvae.report", "templates"), autoescape=select_autoescape())
    env.filters["fmt"] = fmt
    html = env.get_template("report.html").render(
        m=metrics,
        models=models,
        per_model=per_model,
        figures={k: _data_uri(fig / f"{k}.png") for k in ("fd-curves", "losses", "latent-maps", "classes")},
        metric_rows=_metric_rows(metrics),
        cost_rows=_cost_rows(metrics),
        diverged={m: int(metrics["summary"][m].get("diverged", {}).get("mean", 0)) for m in models},
        devices=sorted(
            {f"{r.get('device')} ({r.get('precision')})" for r in metrics["runs"] if r.get("device")}
        ),
    )
    out = run_dir / "report.html"
    write_text(out, html)
    return out
