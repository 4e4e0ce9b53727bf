"""The training progress bar (Rich): steps or seconds, the latest losses and samples/s (images, rows or
users, as the model calls them)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class TrainProgress:
    def __init__(
        self, enabled: bool, total_steps: int | None, budget_s: float | None, name: str, unit: str = "images"
    ):
        self.enabled = enabled
        self.unit = unit
        self.by_time = total_steps is None and budget_s is not None
        self.total = budget_s if self.by_time else total_steps
        self.name = name or "train"
        self._progress: Progress | None = None

    def __enter__(self) -> TrainProgress:
        if self.enabled:
            unit = (
                TextColumn("{task.completed:.0f}/{task.total:.0f} s")
                if self.by_time
                else MofNCompleteColumn()
            )
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                unit,
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.name, total=self.total, info="")
        return self

    def note(self, text: str) -> None:
        """One line above the bar (e.g. a setting the model chose from the data)."""
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def update(self, state: Any, record: dict[str, Any]) -> None:
        if self._progress is None:
            return
        skip = {"step", "epoch", "time_s", "images_per_s"}
        losses = " ".join(f"{k}={v:.3g}" for k, v in record.items() if k not in skip)
        info = f"{losses} {record['images_per_s']:.0f} {self.unit}/s"
        done = state.elapsed_s if self.by_time else state.step
        self._progress.update(self._task, completed=done, info=info)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)  # type: ignore[arg-type]
