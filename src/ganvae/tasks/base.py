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
from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError
from ganvae.models.base import GenerativeModel
from ganvae.plan import RunPlan


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
        self.config = {"task": task, "config": cfg.settings()}
        saved = self.out / "config.json"
        if saved.is_file():
            before = json.loads(saved.read_text(encoding="utf-8"))
            before.get("config", {}).pop("jobs", None)
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
        write_json(self.out / "config.json", {**self.config, "command": self.command, "versions": versions()})

    @property
    def figures(self) -> Path:
        (self.out / "figures").mkdir(parents=True, exist_ok=True)
        return self.out / "figures"

    def model(
        self, plan: RunPlan, name: str, data: ImageData, seed: int, tag: str = "", progress: bool = True
    ) -> GenerativeModel:
        """Train `name` with `seed` on `data` into models/<name>-<tag>seed<k>/ (or reuse what is there)."""
        from ganvae.training.run import train_or_reuse

        folder = self.out / "models" / f"{name}-{tag}seed{seed}"
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

    def record_path(self, job) -> Path:
        """Where the records of one runner job are kept, so that a re-run resumes (`experiment.runner`)."""
        return self.out / "records" / f"{job.name}.json"

    def comparison_model(self, name: str, seed: int) -> Path | None:
        """The comparison's own run of (name, seed) when this task folder sits in RUN/tasks/NAME: a task
        run beside a comparison uses the very models the comparison evaluated (at its budget)."""
        if self.out.parent.name != "tasks":
            return None
        folder = self.out.parent.parent / "models" / f"{name}-seed{seed}"
        return folder if (folder / "model.safetensors").is_file() else None

    def finish(
        self,
        data: ImageData,
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
            "data": {
                "name": data.name,
                "unit": getattr(data, "unit", "images"),  # what one row is: images, rows, users
                "shape": list(data.shape),
                "n_train": len(data.x_train),
                "n_test": data.n_test if hasattr(data, "n_test") else len(data.x_test),
                "class_names": data.class_names,
            },
            "results": results,
            "section": dataclasses.asdict(section),
            "verdicts": verdicts or [],
            "command": self.command,
            "versions": versions(),
        }
        write_json(self.out / "metrics.json", metrics)
        write_task_report(self.out)
        return metrics


def find_model_dir(run_dir: str | Path, model: str | None, default: str, task: str) -> tuple[Path, Path]:
    """(task folder, model folder) from a task folder (+ a model name, else `default`; its first seed) or
    from a model folder inside one. CheckpointError naming the models it holds when there is none."""
    from ganvae.errors import CheckpointError

    run_dir = Path(run_dir)
    if (run_dir / "model.safetensors").is_file():
        if model is not None:
            raise ConfigError("--model picks a model inside a task folder; give the task folder instead")
        return run_dir.parent.parent, run_dir
    name = model or default
    found = [
        f for f in sorted((run_dir / "models").glob(f"{name}-seed*")) if (f / "model.safetensors").is_file()
    ]
    if not found:
        have = sorted({p.name.rsplit("-seed", 1)[0] for p in (run_dir / "models").glob("*-seed*")})
        hint = f"; it holds {', '.join(have)}" if have else ""
        raise CheckpointError(
            f"{run_dir} holds no trained {name}{hint}; give a folder written by `ganvae task {task}`"
        )
    return run_dir, found[0]


def load_task_images(plan: RunPlan, *, labels_for: str = "") -> ImageData:
    """The plan's images. `labels_for` names what needs class labels; unlabelled data is refused for it."""
    from ganvae.data import load_images

    data = load_images(plan.data, image_size=plan.image_size)
    if labels_for and not data.labelled:
        raise DataError(f"{data.name} has no labels; {labels_for} needs labelled data (class sub-folders)")
    return data
