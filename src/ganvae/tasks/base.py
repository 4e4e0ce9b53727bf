"""What every `ganvae task` shares: its run folder, its trained models and the report section it writes.

A task folder holds `config.json` (the resolved task config), `models/<model>-<tag>/` (train runs, reused
when the task is run again with the same `--out`), `figures/`, `metrics.json` (every figure plus a
`section`: findings, tables and figures that the report renders without knowing the task; each task's
section and figures are drawn by `ganvae.report.sections.<task>` from the results the task returns) and
`report.html`. A task run inside a comparison's folder (`RUN/tasks/NAME`) also appears in that
comparison's report.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ganvae.atomic import write_json
from ganvae.data.base import Dataset
from ganvae.data.images import ImageData
from ganvae.errors import DataError
from ganvae.folder_lock import locking
from ganvae.models.base import GenerativeModel
from ganvae.plan import RunPlan
from ganvae.report.sections import Section
from ganvae.run_folder import TASKS, RunFolder, is_model_folder

F = TypeVar("F", bound=Callable[..., Any])
# the task folders started (`TaskFolder.start`) inside the `task_run` call in progress
_STARTED: ContextVar[list[TaskFolder] | None] = ContextVar("ganvae_task_folders", default=None)


def task_run(fn: F) -> F:
    """Decorator of each task's `run_<task>(cfg, out, ...)`: it holds the folder's lock while it runs
    (`folder_lock.locking`), and when it fails or is interrupted after `TaskFolder.start` opened the
    task's tracked run (`--logger`), that run ends FAILED or KILLED instead of staying RUNNING (its model
    runs end in the training loop). The task functions open their folder and have no end that brackets
    it, so the function's own end is where the run is closed."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started: list[TaskFolder] = []
        token = _STARTED.set(started)
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            for folder in started:
                folder.abandon(exc)
            raise
        finally:
            _STARTED.reset(token)

    return locking("out")(wrapper)  # type: ignore[return-value]


class TaskFolder:
    """The run folder of one task: refuses to mix settings, reuses finished model runs. The task's run
    function holds the folder's lock meanwhile (`@task_run`, `ganvae.folder_lock`)."""

    def __init__(
        self,
        out: str | Path,
        task: str,
        cfg: Any,
        command: str = "",
        *,
        resume: bool = False,
        overwrite: bool = False,
    ):
        """Refuses a folder this task cannot enter (`experiment.rerun`: --resume continues the same task,
        --overwrite replaces a ganvae folder; the refusal names the settings that differ)."""
        from ganvae.experiment.rerun import Rerun, task_what

        self.out, self.task, self.command = Path(out), task, command
        self.config = {"task": task, "config": cfg.settings()}
        self.rerun = Rerun(self.out, task_what(task), resume, overwrite)
        self.continued = self.rerun.enter(
            lambda config: config.get("config") if config.get("task") == task else None, cfg
        )
        self.tracking = cfg.tracking  # --logger: the task's run, opened by `start`, is its models' parent
        self.tracked = None

    def start(self) -> None:
        """Write config.json: call after the data loaded and every option checked (nothing half-written);
        with --overwrite, what the folder held goes first."""
        from ganvae.training.run import versions

        self.rerun.clear()
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(
            RunFolder(self.out).config, {**self.config, "command": self.command, "versions": versions()}
        )
        if self.tracking.active:
            from ganvae.training.tracking import TopRun

            self.tracked = TopRun(self.tracking, self.out, resume=self.continued, params=self.config)
            self.tracking = self.tracked.children
            if (started := _STARTED.get()) is not None:
                started.append(self)

    def abandon(self, error: BaseException) -> None:
        """The task stopped on `error` before `finish`: its tracked run ends FAILED or KILLED."""
        tracked, self.tracked = self.tracked, None
        if tracked is not None:
            tracked.tracker.end(error)

    def __getstate__(self) -> dict[str, Any]:
        # a --jobs worker gets the folder without the open tracker (its runs need only `tracking`)
        return {**self.__dict__, "tracked": None}

    @property
    def figures(self) -> Path:
        figures = RunFolder(self.out).figures
        figures.mkdir(parents=True, exist_ok=True)
        return figures

    def model(
        self,
        plan: RunPlan,
        name: str,
        data: ImageData,
        seed: int,
        tag: str = "",
        progress: bool = True,
        tuned: dict[str, Any] | None = None,
    ) -> GenerativeModel:
        """Train `name` with `seed` on `data` into models/<name>-<tag>seed<k>/ (or reuse what is there);
        `tuned`: the configuration a search chose for it (over the plan's --set values)."""
        from ganvae.training.run import train_or_reuse

        folder = RunFolder(self.out).model(name, seed, tag)
        shared = self.comparison_model(name, seed) if not tag else None
        if shared is not None:
            folder = shared
        return train_or_reuse(
            name,
            data,
            folder,
            plan.train_config(seed, len(data.x_train)),  # a small split's default budget is in epochs
            {**plan.overrides_for(name), **(tuned or {})} or None,
            data_spec=plan.data_spec(),
            progress=progress,
            tracking=self.tracking,
        ).eval()

    def record_path(self, job) -> Path:
        """Where the records of one runner job are kept, so that a re-run resumes (`experiment.runner`)."""
        return RunFolder(self.out).record(job.name)

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
        tracked, self.tracked = self.tracked, None
        if tracked is not None:  # the task's report and figures, and its run ends
            folder = RunFolder(self.out)
            with tracked:
                tracked.finish({}, files=(folder.report, folder.metrics))
        return metrics


@dataclass
class TaskExperiment:
    """What every task's experiment (`ganvae.experiment.runner`) shares: its config, its folder (where the
    models train and each job's records are kept) and whether to show progress bars. Subclasses add
    `context()` and `run(ctx, job)`."""

    cfg: Any
    folder: TaskFolder
    progress: bool = True
    tuned: dict[str, dict[str, Any]] = field(default_factory=dict)  # a search's best, per model

    def record_path(self, job) -> Path:
        return self.folder.record_path(job)


def load_task_images(plan: RunPlan, *, labels_for: str = "") -> ImageData:
    """The plan's images. `labels_for` names what needs class labels; unlabelled data is refused for it."""
    from ganvae.data import load_images

    data = load_images(plan.data, image_size=plan.image_size)
    if labels_for and not data.labelled:
        raise DataError(f"{data.name} has no labels; {labels_for} needs labelled data (class sub-folders)")
    return data
