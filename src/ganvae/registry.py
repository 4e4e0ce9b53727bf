"""Name -> factory registries for models, datasets and tasks (instead of if/elif chains).

>>> from ganvae.registry import MODELS
>>> sorted(MODELS.names())[:2]          # doctest: +SKIP
['dcgan', 'sngan']
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ganvae.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    factory: T
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """A named collection of factories; unknown names raise a ConfigError that suggests the closest."""

    def __init__(self, kind: str, loader: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        # The loader imports the modules that register entries, so that `import ganvae` stays cheap.
        self._loader = loader
        self._loaded = loader is None

    def register(self, name: str, factory: T, summary: str = "", **extra: Any) -> T:
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
