"""What a figure means: its label, which way is better (or its ideal value), unit and bounds.

Each metric module declares the figures it produces with `declare(...)` beside the function that computes
them, so that the claims, the use-case verdicts and the report read one description of every figure
instead of keeping their own tables. A figure is judged one of three ways:

- `better="lower"` / `"higher"`: the plain direction (FD lower, recall higher);
- `ideal=v`: closer to `v` is better, measured as |log(x / v)| for ratios (`scale="log"`) or |x - v|.
  A sharpness ratio of 3 (noise, over-sharpening) is as far from real images as one of 1/3 (blur), and a
  higher ratio must never count as "sharper is better";
- `kind` says how a spread over runs is formed: `"mean"` (one value per seed: mean and an interval of the
  mean), `"share"` (k of n runs: a binomial interval, never a zero-width spread) or `"spread"` (the spread
  of the per-seed values *is* the figure: compared as a variance ratio).

>>> SHARPNESS = Metric("demo_sharpness", "sharpness ratio", ideal=1.0, scale="log")
>>> round(SHARPNESS.distance(3.0), 4) == round(SHARPNESS.distance(1 / 3), 4)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Better = Literal["lower", "higher"]
Kind = Literal["mean", "share", "spread"]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    better: Better | None = None
    ideal: float | None = None
    scale: Literal["linear", "log"] = "linear"
    unit: str = ""
    bounds: tuple[float | None, float | None] = (None, None)
    kind: Kind = "mean"

    def __post_init__(self) -> None:
        if self.better is not None and self.ideal is not None:
            raise ValueError(f"{self.key}: give better= or ideal=, not both")

    def distance(self, value: float) -> float:
        """How far `value` is from the ideal (0 = ideal). Only for figures with an ideal value."""
        assert self.ideal is not None
        if self.scale == "log":
            # a ratio of 0 (blank images) is infinitely far from 1, as is an infinite one
            return abs(math.log(value / self.ideal)) if value > 0 else math.inf
        return abs(value - self.ideal)

    @property
    def judged(self) -> bool:
        """False for a descriptive figure (output variance): neither more nor less is better."""
        return self.better is not None or self.ideal is not None

    def badness(self, value: float) -> float:
        """A number where lower is always better: the value, its negative, or its distance from the ideal."""
        if not self.judged:
            raise ValueError(f"{self.key} is descriptive: no value of it is better than another")
        if self.ideal is not None:
            return self.distance(value)
        return value if self.better == "lower" else -value

    @property
    def direction_text(self) -> str:
        """What the report's "better" column says."""
        if self.ideal is not None:
            return f"→ {self.ideal:g}"
        return str(self.better) if self.better else "—"


METRICS: dict[str, Metric] = {}


def declare(key: str, label: str, **meta) -> Metric:
    """Register the description of figure `key` (once) and return it."""
    metric = Metric(key, label, **meta)
    if key in METRICS and METRICS[key] != metric:
        raise ValueError(f"metric {key!r} is declared twice, differently")
    METRICS[key] = metric
    return metric


def get(key: str) -> Metric:
    """The description of `key` (importing every metric module first, so all are declared)."""
    import ganvae.metrics  # noqa: F401  (the image metrics declare on import)
    import ganvae.metrics.detection  # noqa: F401
    import ganvae.metrics.stability  # noqa: F401

    if key not in METRICS:  # the table metrics import pandas: only when a table figure is asked for
        import ganvae.metrics.tabular  # noqa: F401
    return METRICS[key]


def known() -> dict[str, Metric]:
    get("fd")
    return METRICS
