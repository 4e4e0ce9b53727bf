"""The Jinja environment of the report templates and the data-URI embedding every page uses."""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


def data_uri(path: Path) -> str | None:
    """The file as a data: URI (so the report is one self-contained file); None when it is missing."""
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


def environment() -> Environment:
    env = Environment(loader=PackageLoader("ganvae.report", "templates"), autoescape=select_autoescape())
    env.filters["fmt"] = fmt
    from ganvae.experiment.verdicts import display

    env.filters["show"] = display  # an entry over seeds as it reads ('0.53 ± 0.01', '0.53 (1 seed)')
    return env
