"""Name -> factory registries for models, datasets and tasks (instead of if/elif chains).

An entry's factory and its extra values may be `lazy` references, `"module:attribute"` imported on first
use (and, with arguments, called with them: a model's preset config). The model and task registries
declare their entries that way, with the metadata `ganvae list` shows (a model's family and data kind)
written beside them, so listing them imports neither PyTorch nor any model or task module.

>>> from ganvae.registry import MODELS
>>> sorted(MODELS.names())[:2]          # doctest: +SKIP
['dcgan', 'sngan']
>>> lazy("fractions:Fraction").resolve(), made("fractions:Fraction", 1, 3).resolve()
(<class 'fractions.Fraction'>, Fraction(1, 3))
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ganvae.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Lazy:
    """`module:attribute`, imported when first asked for; with `call`, what calling it with `args` and
    `kwargs` returns."""

    where: str
    call: bool = False
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def resolve(self) -> Any:
        module, _, name = self.where.partition(":")
        found = getattr(importlib.import_module(module), name)
        return found(*self.args, **self.kwargs) if self.call else found


def lazy(where: str) -> Lazy:
    """`module:attribute` (a class, a function), imported on first use."""
    return Lazy(where)


def made(where: str, *args: Any, **kwargs: Any) -> Lazy:
    """What `module:attribute(*args, **kwargs)` returns (a preset config), made on first use."""
    return Lazy(where, True, args, kwargs)


class _Extra(Mapping[str, Any]):
    """An entry's extra values, each `Lazy` one resolved (once) when it is read."""

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        if isinstance(value, Lazy):
            value = self._values[key] = value.resolve()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class Entry(Generic[T]):
    """One registered name: its factory (resolved on first use when `lazy`), one-line summary and extras."""

    def __init__(self, name: str, factory: T | Lazy, summary: str = "", extra: dict[str, Any] | None = None):
        self.name, self.summary = name, summary
        self._factory = factory
        self.extra: Mapping[str, Any] = _Extra(dict(extra or {}))

    @property
    def factory(self) -> T:
        if isinstance(self._factory, Lazy):
            self._factory = self._factory.resolve()
        return self._factory  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Entry({self.name!r})"


class Registry(Generic[T]):
    """A named collection of factories; unknown names raise a ConfigError that suggests the closest."""

    def __init__(self, kind: str, loader: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        # The loader imports the modules that register entries, so that `import ganvae` stays cheap.
        self._loader = loader
        self._loaded = loader is None

    def register(self, name: str, factory: T | Lazy, summary: str = "", **extra: Any) -> T | Lazy:
        """Add `name`; `factory` and any extra value may be `lazy` (imported when first used)."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(name, factory, summary, dict(extra))
        return factory

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            assert self._loader is not None
            self._loader()

    def get(self, name: str) -> Entry[T]:
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._entries, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self._entries))
            raise ConfigError(f"unknown {self.kind} {name!r}.{hint} Known {self.kind}s: {known}.") from None

    def names(self) -> list[str]:
        self._load()
        return list(self._entries)

    def __iter__(self) -> Iterator[Entry[T]]:
        self._load()
        return iter(list(self._entries.values()))

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries


def _load_models() -> None:
    import ganvae.models  # noqa: F401  (registers on import)


def _load_datasets() -> None:
    import ganvae.data.catalog  # noqa: F401


def _load_tasks() -> None:
    import ganvae.tasks  # noqa: F401


MODELS: Registry[Any] = Registry("model", _load_models)
TASKS: Registry[Any] = Registry("task", _load_tasks)
DATASETS: Registry[Any] = Registry("dataset", _load_datasets)
