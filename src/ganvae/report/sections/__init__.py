"""Each task's part of the report: `sections/<task>.py` turns the results a task returns (its summary
and records) into a `Section` (findings in words, tables of pre-formatted cells, captioned figures) and
draws the task's figures. The task folder keeps the section in `metrics.json`, so `report/section.py`
renders it on the task's page, or inside the report of the comparison whose folder holds the task.

A section module imports no task module (imports flow from tasks to the report, never back): what it
needs arrives as arguments, or is read from the results themselves; the labels and directions of the
figures are the metrics' own metadata (`ganvae.metrics.meta`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
