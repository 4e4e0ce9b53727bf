"""Render `report.html` from a run folder: one self-contained file (images embedded as data URIs),
readable offline and sensible when printed. Reads `metrics.json` and `figures/`; never trains. What the
comparison's page shows is `ganvae.report.sections.generation`'s; the tasks' sections are theirs."""

from __future__ import annotations

from pathlib import Path

from ganvae.atomic import write_text
from ganvae.report.env import environment
from ganvae.report.section import merge_task_verdicts, read_metrics, task_sections
from ganvae.report.sections import generation
from ganvae.run_folder import RunFolder


def write_report(run_dir: str | Path) -> Path:
    """(Re-)render `run_dir/report.html` from `run_dir/metrics.json` and `run_dir/figures/`."""
    run_dir = Path(run_dir)
    metrics = read_metrics(run_dir, "compare")
    fig = RunFolder(run_dir).figures
    generation.draw_figures(metrics, fig)
    shown = generation.page(metrics, fig)
    metrics = merge_task_verdicts(metrics, run_dir)  # a task run in RUN/tasks fills its use case's row
    html = (
        environment()
        .get_template("report.html")
        .render(m=metrics, task_sections=task_sections(run_dir), **shown)
    )
    out = RunFolder(run_dir).report
    write_text(out, html)
    return out
