"""`Dataset`: the small protocol every kind of data implements, so that code above the data layer (task
folders, run records, reports) asks the data what it is instead of probing a kind string or an attribute;
`DataKind`: what that code asks of a kind itself (what a row is called, whether rows are pictures, which
commands take it), so that it never compares a kind's name.

Implemented by `ImageData` (kind "images"), `TableData` ("table") and `InteractionData`
("interactions"); the kind is the `data_kind` of the models that train on it. Every kind and the built-ins
of every kind are registered in `ganvae.data.catalog`.

>>> from ganvae.data import load_images
>>> isinstance(load_images("digits"), Dataset)
True
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class DataKind:
    """One kind of data, as the code above the data layer sees it (registered in `ganvae.data.catalog`).

    >>> points = DataKind("points", unit="points", noun="point set", modelled="points", used_by="-")
    >>> points.fits((2,)), points.shape_text((2,))
    (True, 'points of 2 values')
    """

    name: str
    unit: str  # one row, plural: progress bars, summaries and page headers ("images", "rows", "users")
    noun: str  # the kind in a message: "a built-in image dataset, not a table"
    modelled: str  # what a model of the kind models, in words: "it models table rows, not images"
    used_by: str  # the commands that take a built-in of the kind ("{name}": the built-in's name)
    article: str = "a"  # before `noun`
    row_dims: int = 1  # dimensions of one row: 3 for C x H x W images, 1 for a vector
    # Rows are pictures: training writes sample grids, and `ganvae info` and the pages give C x H x W
    pictures: bool = False
    sample_command: str = "ganvae sample"  # draws from a trained model of the kind (`ganvae info`)
    use_models: str = ""  # how models of the kind are used, when one meets data of another shape
    plan_advice: str = "pick another"  # when a model of the kind is listed in a plan of another kind
    suffixes: tuple[str, ...] = ()  # file names that are data of the kind, besides its built-ins

    def fits(self, shape: tuple[int, ...]) -> bool:
        """Whether one row of `shape` can be data of this kind."""
        return len(shape) == self.row_dims

    def shape_text(self, shape: tuple[int, ...]) -> str:
        """Rows of `shape` in words: "1x8x8 images", "rows of 31 values"."""
        text = "x".join(map(str, shape))
        return f"{text} {self.unit}" if self.pictures else f"{self.unit} of {text} values"
