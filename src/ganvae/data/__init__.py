"""Image data: load any source (built-in name, folder, .npz, IDX) as one `ImageData`, or download one.
Tabular data: `load_table` (CSV, Parquet, DataFrame, built-in name) gives a `Table`; `TabularTransformer`
encodes it for models.

>>> from ganvae.data import load_images
>>> load_images("digits").x_train.shape
torch.Size([1437, 1, 8, 8])
"""

from typing import Any

from ganvae.data.images import ImageData
from ganvae.data.images.fetch import fetch_dataset
from ganvae.data.images.load import load_images

# Tabular names load on first use: pandas and scipy would add ~0.4 s to every image run's import.
_TABULAR = ("Span", "Table", "TabularTransformer", "load_table", "split_table")

__all__ = [
    "ImageData",
    "Span",
    "Table",
    "TabularTransformer",
    "fetch_dataset",
    "load_images",
    "load_table",
    "split_table",
]


def __getattr__(name: str) -> Any:
    if name in _TABULAR:
        from ganvae.data import tables

        return getattr(tables, name)
    raise AttributeError(f"module 'ganvae.data' has no attribute {name!r}")
