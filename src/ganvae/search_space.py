"""What a hyper-parameter search may vary: one `Param` per config field, declared beside the config.

A model config declares `search_space`, a dict mapping its field names to `Param`s (see `GANConfig`); the
search (Optuna, issue 8) reads it and never hard-codes a model's ranges. Nothing here imports a search
library: this module only describes ranges.

>>> Param("log", 1e-5, 1e-3).kind
'log'
>>> Param("categorical", choices=(0.0, 0.5)).choices
(0.0, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ganvae.errors import ConfigError

Kind = Literal["log", "float", "int", "categorical"]
KINDS = ("log", "float", "int", "categorical")


@dataclass(frozen=True)
class Param:
    """One searchable field: "log" (log-uniform on [low, high]), "float" (uniform), "int" (integers
    low..high, both included) or "categorical" (one of `choices`)."""

    kind: Kind
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"search kind {self.kind!r} is unknown; use one of {', '.join(KINDS)}")
        if self.kind == "categorical":
            if not self.choices or self.low is not None or self.high is not None:
                raise ConfigError("a categorical search parameter needs choices and no low/high")
            return
        if self.low is None or self.high is None or self.choices or not self.low <= self.high:
            raise ConfigError(f"a {self.kind} search parameter needs low <= high and no choices")
        if self.kind == "log" and self.low <= 0:
            raise ConfigError("a log search parameter needs low > 0 (use categorical to include 0)")
        if self.kind == "int" and (int(self.low) != self.low or int(self.high) != self.high):
            raise ConfigError("an int search parameter needs integer low and high")

    def extremes(self) -> tuple[Any, ...]:
        """The values at the edges of the range (every choice for a categorical): what a config must
        accept for the search never to propose an invalid one."""
        if self.kind == "categorical":
            return self.choices
        if self.kind == "int":
            return int(self.low), int(self.high)  # type: ignore[arg-type]
        return self.low, self.high
