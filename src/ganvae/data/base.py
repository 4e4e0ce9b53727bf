"""`Dataset`: the small protocol every kind of data implements, so that code above the data layer (task
folders, run records, reports) asks the data what it is instead of probing a kind string or an attribute.

Implemented by `ImageData` (kind "images"), `TableData` ("table") and `InteractionData`
("interactions"); the kind is the `data_kind` of the models that train on it. The built-ins of every kind
are registered in `ganvae.data.catalog`.

>>> from ganvae.data import load_images
>>> isinstance(load_images("digits"), Dataset)
True
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Dataset(Protocol):
    """What every dataset offers besides its tensors (`x_train` and the kind's own test views)."""

    name: str
    kind: str  # "images", "table" or "interactions": the models' data_kind it feeds
    unit: str  # what one row is, in words: images, rows, users
    split: str  # how train and test were made: official, seeded, given (by the caller), strong, recbole

    @property
    def shape(self) -> tuple[int, ...]:
        """One row's shape: C x H x W, (transformed width,), (n_items,)."""
        ...

    def fingerprint(self) -> str:
        """A short hash of the data as trained on (keys caches; recorded in every run folder)."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary for run records: name, kind, unit, split, shape, n_train, n_test,
        class_names."""
        ...


def describe(data: Any, n_test: int) -> dict[str, Any]:
    """The `Dataset.describe` dict the implementations share (each knows its own test-row count)."""
    return {
        "name": data.name,
        "kind": data.kind,
        "unit": data.unit,
        "split": data.split,
        "shape": list(data.shape),
        "n_train": len(data.x_train),
        "n_test": n_test,
        "class_names": data.class_names,
    }
