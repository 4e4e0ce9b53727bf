"""Search spaces, declared beside each model's config (issue 16): which config fields a hyperparameter
search may change, and over what range.

A config dataclass declares `search_space: ClassVar[dict[str, Param]]`, field name -> `Param`. Learning
rates are searched log-uniformly over decades, as Lucic et al. (2018, "Are GANs Created Equal?") do;
sizes over a few categorical values, so that trials stay comparable in cost. A ClassVar is no dataclass
field: it is neither saved with a model nor settable with `--set`.

This module imports no optimiser library: `suggest` takes any object with Optuna's `suggest_*` methods.

>>> Param("log", 1e-4, 1e-2).describe()
'log-uniform 0.0001..0.01'
>>> Param("categorical", choices=(16, 32)).describe()
'one of 16, 32'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from ganvae.errors import ConfigError

Kind = Literal["log", "float", "int", "categorical"]


@dataclass(frozen=True)
class Param:
    """One searched field: `log` (log-uniform floats in [low, high]), `float` (uniform), `int` (uniform
    integers in [low, high]) or `categorical` (one of `choices`)."""

    kind: Kind
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind == "categorical":
            if not self.choices:
                raise ConfigError("a categorical search parameter needs choices, e.g. choices=(16, 32)")
            return
        if self.kind not in ("log", "float", "int"):
            raise ConfigError(f"search parameter kind {self.kind!r} is not log, float, int or categorical")
        if self.low is None or self.high is None or not self.low < self.high:
            raise ConfigError(f"a {self.kind} search parameter needs low < high, got {self.low}..{self.high}")
        if self.kind == "log" and self.low <= 0:
            raise ConfigError(f"a log-uniform search parameter needs low > 0, got {self.low}")
        if self.kind == "int" and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ConfigError(f"an int search parameter needs integer bounds, got {self.low}..{self.high}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ConfigError("search parameter bounds must be finite")

    def describe(self) -> str:
        """How the report names the range: 'log-uniform 0.0001..0.01', 'one of 16, 32'."""
        if self.kind == "categorical":
            return "one of " + ", ".join(map(str, self.choices or ()))
        what = {"log": "log-uniform", "float": "uniform", "int": "integers"}[self.kind]
        return f"{what} {self.low:g}..{self.high:g}"


def suggest(trial: Any, name: str, param: Param) -> Any:
    """The value of `name` for `trial` (an `optuna.Trial`, or anything with its `suggest_*` methods)."""
    if param.kind == "categorical":
        return trial.suggest_categorical(name, list(param.choices or ()))
    if param.kind == "int":
        return trial.suggest_int(name, int(param.low), int(param.high))  # type: ignore[arg-type]
    return trial.suggest_float(name, float(param.low), float(param.high), log=param.kind == "log")  # type: ignore[arg-type]


def space_of(config: Any) -> dict[str, Param] | None:
    """The search space a config class (or instance) declares, None when it declares none."""
    space = getattr(config, "search_space", None)
    return dict(space) if space else None
