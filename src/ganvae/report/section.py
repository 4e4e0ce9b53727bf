"""Task sections: render a task folder's `metrics.json` (its `section`) on its own page or inside the
report of the comparison whose folder holds it (`RUN/tasks/NAME`). Reads files only; never trains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganvae.atomic import write_text
from ganvae.data.catalog import DEFAULT_KIND, KINDS
from ganvae.errors import DataError
from ganvae.report.env import data_uri, environment
from ganvae.run_folder import METRICS, TASKS, RunFolder


def read_metrics(folder: Path, what: str) -> dict[str, Any]:
    path = RunFolder(folder).metrics
    if not path.is_file():
        raise DataError(f"{path} not found; give a folder written by `ganvae {what}`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON ({exc}); run `ganvae {what}` again") from None


def load_section(folder: Path) -> dict[str, Any]:
    """The task's section with every figure embedded as a data URI."""
    m = read_metrics(folder, "task")
    sec = dict(m["section"])
    sec["task"], sec["command"] = m["task"], m.get("command", "")
    sec["figures"] = [{**f, "uri": data_uri(Path(folder) / f["path"])} for f in sec.get("figures", [])]
    return sec


def task_sections(run_dir: Path) -> list[dict[str, Any]]:
    """Sections of the tasks run inside a comparison folder (RUN/tasks/*/metrics.json), by task name."""
    folder = Path(run_dir) / TASKS
    if not folder.is_dir():
        return []
    return [load_section(p.parent) for p in sorted(folder.glob(f"*/{METRICS}"))]


def task_verdicts(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Use-case verdict rows that tasks inside a comparison folder measured, by use case."""
    out = {}
    for p in sorted((Path(run_dir) / TASKS).glob(f"*/{METRICS}")):
        for row in read_metrics(p.parent, "task").get("verdicts", []):
            out[row["use_case"]] = row
    return out


def merge_task_verdicts(metrics: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The comparison's verdict rows, each replaced by the row a task in RUN/tasks measured for its use
    case, plus the use cases only tasks measure."""
    measured = task_verdicts(run_dir)
    known = {v["use_case"] for v in metrics["verdicts"]}
    rows = [measured.get(v["use_case"], v) for v in metrics["verdicts"]]
    return {**metrics, "verdicts": rows + [v for use, v in measured.items() if use not in known]}


def pictures(data: dict[str, Any]) -> bool:
    """Whether the rows of a run record's data (`Dataset.describe`) are pictures, whose C×H×W the page's
    header gives. Folders written before the record named its kind hold images."""
    kind = KINDS.get(data.get("kind", DEFAULT_KIND))
    return kind is not None and kind.pictures


def write_task_report(folder: str | Path) -> Path:
    """(Re-)render `folder/report.html` of a task run."""
    folder = Path(folder)
    m = read_metrics(folder, "task")
    html = (
        environment()
        .get_template("task.html")
        .render(m=m, sec=load_section(folder), pictures=pictures(m["data"]))
    )
    out = RunFolder(folder).report
    write_text(out, html)
    return out
