"""Configs are dataclasses; this module turns text (`--set key=value`, budgets, saved JSON) into them.

>>> from dataclasses import dataclass
>>> @dataclass
... class C:
...     lr: float = 1e-3
...     beta: float = 1.0
>>> apply_overrides(C(), {"beta": "4"})
C(lr=0.001, beta=4.0)
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from typing import Any, TypeVar

from ganvae.errors import ConfigError

C = TypeVar("C")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_scalar(kind: Any, text: Any, key: str) -> Any:
    if not isinstance(text, str):
        return text
    try:
        if kind is bool:
            low = text.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError
        if kind is int:
            return int(text)
        if kind is float:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        if kind is str:
            return text
    except ValueError:
        raise ConfigError(
            f"{key}={text!r} is not a valid {kind.__name__}; give e.g. {key}={kind()}"
        ) from None
    raise ConfigError(f"{key} cannot be set from text")


def parse_value(kind: Any, text: Any, key: str) -> Any:
    """Convert `text` to the dataclass field type `kind` (int, float, bool, str, Optional, tuple)."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if isinstance(text, str) and text.strip().lower() in {"none", "null", ""}:
            return None
        return parse_value(args[0], text, key)
    if origin is tuple:
        args = typing.get_args(kind)
        parts = text.split(",") if isinstance(text, str) else list(text)
        inner = args[0]
        return tuple(parse_value(inner, p.strip() if isinstance(p, str) else p, key) for p in parts)
    if origin is typing.Literal:
        choices = typing.get_args(kind)
        if text not in choices:
            raise ConfigError(f"{key}={text!r} is not allowed; choose one of {', '.join(map(str, choices))}")
        return text
    return _parse_scalar(kind, text, key)


def field_names(cfg: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(cfg)]


def apply_overrides(cfg: C, overrides: dict[str, Any], *, where: str = "config") -> C:
    """Return a copy of dataclass `cfg` with `overrides` (text or typed values) applied and validated."""
    hints = typing.get_type_hints(type(cfg))
    names = set(field_names(cfg))  # not the hints: a ClassVar (a config's search_space) is no setting
    changes = {}
    for key, text in overrides.items():
        if key not in names:
            valid = ", ".join(field_names(cfg))
            raise ConfigError(f"unknown {where} key {key!r}; valid keys: {valid}")
        changes[key] = parse_value(hints[key], text, key)
    new = dataclasses.replace(cfg, **changes)
    validate = getattr(new, "validate", None)
    if callable(validate):
        validate()
    return new


def split_overrides(pairs: list[str]) -> dict[str, str]:
    """Parse `["a=1", "b.c=2"]` into a dict; reject malformed pairs."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """'90s', '5m', '1.5h' or plain seconds -> seconds (> 0).

    >>> parse_duration("5m")
    300.0
    """
    match = re.fullmatch(r"\s*(-?[0-9]*\.?[0-9]+)\s*([a-z]*)\s*", str(text).lower())
    if not match or match.group(2) not in {"", *_UNITS}:
        raise ConfigError(f"budget {text!r} is not a duration; write e.g. 90s, 5m or 1h")
    seconds = float(match.group(1)) * _UNITS.get(match.group(2) or "s", 1.0)
    if seconds <= 0:
        raise ConfigError(f"budget {text!r} must be positive; write e.g. 90s, 5m or 1h")
    return seconds


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def from_dict(cls: type[C], data: dict[str, Any], *, where: str = "config") -> C:
    """Build dataclass `cls` from a saved dict, converting JSON lists back to tuples."""
    return apply_overrides(cls(), data, where=where)  # type: ignore[call-arg]
