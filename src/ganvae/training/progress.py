"""Training progress: a Rich bar in an interactive terminal, plain lines everywhere else (`ganvae.status`).

Both name the run by model and seed (`dcgan seed 2`), count steps (or seconds of a wall-clock budget) and
show the samples/s (images, rows or users, as the model calls them) and the latest losses. The bar's
columns are sized to the terminal: at 80 columns the name, the count and the times stay whole and only the
losses are cut (with "…"). Outside a terminal a line comes every `status.every_s()` seconds (10 by
default), after a first line saying what will run and before a last one saying what ran:

    vae seed 0: training, 400 steps
    vae seed 0: step 52/400 (13%), 0:10, ~1:07 left, 330 images/s, loss=41.2 recon=35.1 kl=6.12
    vae seed 0: trained 400 steps in 1:17 (332 images/s)
"""

from __future__ import annotations

import time
from typing import Any

from ganvae.status import clock, every_s, interactive, say

SKIP = frozenset({"step", "epoch", "time_s", "images_per_s"})  # the record's fields that are not losses


class TrainProgress:
    """`enabled`: show progress at all (not with -q); `lines`: plain lines (None: unless `interactive()`);
    `console`: the Rich console of the bar (tests; default stderr)."""

    def __init__(
        self,
        enabled: bool,
        total_steps: int | None,
        budget_s: float | None,
        name: str,
        unit: str = "images",
        seed: int | None = None,
        *,
        lines: bool | None = None,
        console: Any = None,
    ):
        self.enabled = enabled
        self.unit = unit
        self.total_steps, self.budget_s = total_steps, budget_s
        self.by_time = total_steps is None and budget_s is not None
        self.total = budget_s if self.by_time else total_steps
        self.label = f"{name or 'train'} seed {seed}" if seed is not None else (name or "train")
        self.lines = (not interactive()) if lines is None and enabled else bool(lines)
        self.console = console
        self.every_s = every_s()
        self._progress: Any = None
        self._info = self._losses = ""
        self._rate: float | None = None
        self._step = 0
        self._start_step: int | None = None
        self._start_seen = 0
        self._t0 = self._last = self._start_t = 0.0

    # ---- the loop's calls ------------------------------------------------------------------------
    def __enter__(self) -> TrainProgress:
        if not self.enabled:
            return self
        self._t0 = self._last = time.perf_counter()
        if self.lines:
            say(f"{self.label}: training, {self._budget_text()}")
        else:
            self._start_bar()
        return self

    def note(self, text: str) -> None:
        """One line above the bar, or among the lines (e.g. a setting the model chose from the data)."""
        if not self.enabled:
            return
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)  # wrapped to the terminal
        else:
            say(f"{self.label}: {text}")

    def tick(self, state: Any) -> None:
        """After every step: moves the bar, or writes a line when `every_s` has passed since the last."""
        if not self.enabled:
            return
        if self._start_step is None:  # a resumed run counts its rate from where it resumed
            self._start_step, self._start_seen = state.step - 1, state.images_seen
            self._start_t = time.perf_counter()
        self._step = state.step
        if self._progress is not None:
            done = state.elapsed_s if self.by_time else state.step
            self._progress.update(self._task, completed=done, info=self._info)
            return
        now = time.perf_counter()
        if now - self._last >= self.every_s:
            self._last = now
            say(self._line(state, now))

    def update(self, state: Any, record: dict[str, Any]) -> None:
        """With each logged record: the latest losses and samples/s."""
        if not self.enabled:
            return
        self._rate = record.get("images_per_s")
        self._losses = " ".join(f"{k}={v:.3g}" for k, v in record.items() if k not in SKIP)
        self._info = " ".join(p for p in (self._rate_text(), self._losses) if p)
        self.tick(state)

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if not self.enabled:
            return
        if self._progress is not None:
            self._progress.__exit__(exc_type, *exc)  # type: ignore[arg-type]
        elif exc_type is None:
            took = time.perf_counter() - self._t0
            rate = f" ({self._rate:.0f} {self.unit}/s)" if self._rate is not None else ""
            say(f"{self.label}: trained {self._step} steps in {clock(took)}{rate}")

    # ---- internals -------------------------------------------------------------------------------
    def _budget_text(self) -> str:
        if self.by_time:
            return f"{self.budget_s:g} s wall-clock"
        if self.total_steps is None:
            return "no step limit"
        return f"{self.total_steps} steps" + (f" or {self.budget_s:g} s" if self.budget_s else "")

    def _line(self, state: Any, now: float) -> str:
        took = now - self._t0
        if self.by_time:
            share = min(state.elapsed_s / self.budget_s, 1.0) if self.budget_s else 0.0
            where = f"step {state.step}, {state.elapsed_s:.0f}/{self.budget_s:g} s ({share:.0%})"
            left = (self.budget_s or 0) - state.elapsed_s
        elif self.total_steps:
            where = f"step {state.step}/{self.total_steps} ({state.step / self.total_steps:.0%})"
            done = state.step - (self._start_step or 0)
            left = took / done * (self.total_steps - state.step) if done > 0 else None
        else:
            where, left = f"step {state.step}", None
        eta = f"~{clock(left)} left" if left is not None else ""
        rate = self._rate_text()
        if self._rate is None and now > self._start_t:  # before the first logged record: the rate so far
            rate = f"{(state.images_seen - self._start_seen) / (now - self._start_t):.0f} {self.unit}/s"
        parts = (where, clock(took), eta, rate, self._losses)
        return f"{self.label}: " + ", ".join(p for p in parts if p)

    def _rate_text(self) -> str:
        return f"{self._rate:.0f} {self.unit}/s" if self._rate is not None else ""

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        console = self.console or Console(stderr=True)
        count = (
            TextColumn("{task.completed:.0f}/{task.total:.0f} s", table_column=Column(no_wrap=True))
            if self.by_time
            else MofNCompleteColumn(table_column=Column(no_wrap=True))
        )
        count_w = 2 * len(str(int(self.total or 0))) + (3 if self.by_time else 1)
        # name, count, elapsed and remaining stay whole (with the spaces between the six columns); the bar
        # takes what is left beside at least 34 columns of losses, between 10 and 40 wide
        fixed = len(self.label) + count_w + 2 * 7 + 5
        bar_w = max(10, min(40, console.width - fixed - 34))
        info_w = max(8, console.width - fixed - bar_w - 1)  # a fixed cap: Rich would shrink every column
        self._progress = Progress(
            TextColumn("[bold]{task.description}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=bar_w),
            count,
            TimeElapsedColumn(table_column=Column(no_wrap=True)),
            TimeRemainingColumn(table_column=Column(no_wrap=True)),
            TextColumn(
                "{task.fields[info]}",
                table_column=Column(no_wrap=True, overflow="ellipsis", max_width=info_w),
            ),
            console=console,
            transient=False,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task(self.label, total=self.total, info="")
