"""What every `ganvae task` shares: its run folder, its trained models and the report section it writes.

A task folder holds `config.json` (the resolved task config), `models/<model>-<tag>/` (train runs, reused
when the task is run again with the same `--out`), `figures/`, `metrics.json` (every figure plus a
`section`: findings, tables and figures that the report renders without knowing the task) and
`report.html`. A task run inside a comparison's folder (`RUN/tasks/NAME`) also appears in that
comparison's report.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganvae.atomic import write_json
from ganvae.data.base import Dataset
from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError
from ganvae.models.base import GenerativeModel
from ganvae.plan import RunPlan
from ganvae.run_folder import TASKS, RunFolder, is_model_folder, resolve_model_folder


@dataclass
class Section:
    """A task's part of the report: a title, findings in words, tables (pre-formatted cells) and figures."""

    title: str
    intro: str = ""
    findings: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)

    def table(self, title: str, columns: list[str], rows: list[list[Any]], note: str = "") -> None:
        self.tables.append({"title": title, "columns": columns, "rows": rows, "note": note})

    def figure(self, path: str, caption: str) -> None:
        """`path` is relative to the task folder (e.g. figures/roc.png)."""
        self.figures.append({"path": path, "caption": caption})


class TaskFolder:
    """The run folder of one task: refuses to mix settings, reuses finished model runs."""

    def __init__(self, out: str | Path, task: str, cfg: Any, command: str = ""):
        self.out, self.task, self.command = Path(out), task, command
        self.config = {"task": task, "config": json.loads(json.dumps(dataclasses.asdict(cfg), default=str))}
        saved = RunFolder(self.out).config
        if saved.is_file():
            before = json.loads(saved.read_text(encoding="utf-8"))
            if before.get("task") != task or before.get("config") != self.config["config"]:
                raise ConfigError(
                    f"{self.out} holds a {before.get('task', 'different')} run with other settings; "
                    "use another --out or the same options"
                )
        elif self.out.exists() and any(self.out.iterdir()):
            raise ConfigError(f"{self.out} is not empty and holds no {task} task; give another --out")

    def start(self) -> None:
        """Write config.json: call after the data loaded and every option checked (nothing half-written)."""
        from ganvae.training.run import versions

        self.out.mkdir(parents=True, exist_ok=True)
        write_json(
            RunFolder(self.out).config, {**self.config, "command": self.command, "versions": versions()}
        )

    @property
    def figures(self) -> Path:
        figures = RunFolder(self.out).figures
        figures.mkdir(parents=True, exist_ok=True)
        return figures

    def model(
        self, plan: RunPlan, name: str, data: ImageData, seed: int, tag: str = "", progress: bool = True
    ) -> GenerativeModel:
        """Train `name` with `seed` on `data` into models/<name>-<tag>seed<k>/ (or reuse what is there)."""
        from ganvae.training.run import train_or_reuse

        folder = RunFolder(self.out).model(name, seed, tag)
        shared = self.comparison_model(name, seed) if not tag else None
        if shared is not None:
            folder = shared
        return train_or_reuse(
            name,
            data,
            folder,
            plan.train_config(seed),
            plan.overrides_for(name) or None,
            data_spec=plan.data_spec(),
            progress=progress,
        ).eval()

    def comparison_model(self, name: str, seed: int) -> Path | None:
        """The comparison's own run of (name, seed) when this task folder sits in RUN/tasks/NAME: a task
        run beside a comparison uses the very models the comparison evaluated (at its budget)."""
        if self.out.parent.name != TASKS:
            return None
        folder = RunFolder(self.out.parent.parent).model(name, seed)
        return folder if is_model_folder(folder) else None

    def finish(
        self,
        data: Dataset,
        results: dict[str, Any],
        section: Section,
        verdicts: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Write metrics.json and the standalone report.html; return the metrics. `verdicts` are use-case
        rows (as in `compare.use_case_verdicts`) that replace the comparison report's row of that use case."""
        from ganvae.report.section import write_task_report
        from ganvae.training.run import versions

        metrics = {
            **self.config,
            "data": data.describe(),
            "results": results,
            "section": dataclasses.asdict(section),
            "verdicts": verdicts or [],
            "command": self.command,
            "versions": versions(),
        }
        write_json(RunFolder(self.out).metrics, metrics)
        write_task_report(self.out)
        return metrics


def mean_std(values: list[float]) -> dict[str, Any]:
    """Mean and sample std of per-seed values (std 0 for one seed; mean None for none)."""
    import numpy as np

    arr = np.asarray(values, dtype=float)
    return {
        "mean": float(arr.mean()) if len(arr) else None,
        "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
        "n": len(arr),
        "values": [float(v) for v in arr],
    }


def find_model_dir(run_dir: str | Path, model: str | None, default: str, task: str) -> tuple[Path, Path]:
    """(task folder, model folder) by `ganvae.run_folder.resolve_model_folder`'s rule, from a task
    folder or a model folder inside one. (Callers that need only the model folder call that directly.)"""
    model_dir = resolve_model_folder(run_dir, model, default=default, written_by=f"`ganvae task {task}`")
    return (Path(run_dir) if model_dir != Path(run_dir) else model_dir.parent.parent), model_dir


def load_task_images(plan: RunPlan, *, labels_for: str = "") -> ImageData:
    """The plan's images. `labels_for` names what needs class labels; unlabelled data is refused for it."""
    from ganvae.data import load_images

    data = load_images(plan.data, image_size=plan.image_size)
    if labels_for and not data.labelled:
        raise DataError(f"{data.name} has no labels; {labels_for} needs labelled data (class sub-folders)")
    return data


def family_verdict(
    table: dict[str, dict[str, Any]], metric: str, use_case: str, label: str, higher: bool = True
) -> dict[str, Any]:
    """A use-case row for the comparison report (shaped like `compare.use_case_verdicts`): the best entry of
    each family by `metric` (each table row holds "family" and `metric` as a `mean_std` dict), the winner,
    and its margin over the other family's best; `clear` only when seeds' spreads do not overlap."""
    sign = 1.0 if higher else -1.0
    best: dict[str, str] = {}
    for key, row in table.items():
        fam = row["family"]
        if fam not in best or sign * row[metric]["mean"] > sign * table[best[fam]][metric]["mean"]:
            best[fam] = key
    ranked = sorted(best.values(), key=lambda k: sign * table[k][metric]["mean"], reverse=True)
    win = table[ranked[0]][metric]
    out: dict[str, Any] = {
        "use_case": use_case,
        "metric": label,
        "winner": ranked[0],
        "family": table[ranked[0]]["family"],
        "value": win["mean"],
        "std": win["std"],
    }
    if len(ranked) > 1:
        rival = table[ranked[1]][metric]
        gap = abs(win["mean"] - rival["mean"])
        out.update(
            runner_up=ranked[1],
            runner_value=rival["mean"],
            runner_std=rival["std"],
            margin_pct=100 * gap / max(abs(rival["mean"]), 1e-12),
            clear=len(win["values"]) >= 2 and gap > win["std"] + rival["std"],
        )
    return out


def verdict_sentence(row: dict[str, Any], what: str) -> str:
    """'Best: X with <what> v ± s; the other family's best, Y, reaches ...' from a `family_verdict` row."""
    from ganvae.report.env import fmt

    text = f"Best: {row['winner']} with {what} {fmt(row['value'], row['std'])}"
    if row.get("runner_up"):
        rival = fmt(row["runner_value"], row["runner_std"])
        text += f"; the other family's best, {row['runner_up']}, reaches {rival}"
        if not row.get("clear"):
            text += " (spreads overlap or one seed: not a clear win)"
    return text + "."
