"""Image data: load any source (built-in name, folder, .npz, IDX) as one `ImageData`, or download one.
Tabular data: `load_table` (CSV, Parquet, DataFrame, built-in name) gives a `Table`; `TabularTransformer`
encodes it for models.

>>> from ganvae.data import load_images
>>> load_images("digits").x_train.shape
torch.Size([1437, 1, 8, 8])
"""

from typing import Any

# Every name loads on first use: the image readers import PyTorch, the tabular ones pandas and scipy, and
# the dataset registry (`ganvae.data.catalog`, what `ganvae list` reads) needs neither.
_IMAGES = {
    "ImageData": "ganvae.data.images",
    "fetch_dataset": "ganvae.data.images.fetch",
    "load_images": "ganvae.data.images.load",
}
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
    if name in _IMAGES:
        import importlib

        return getattr(importlib.import_module(_IMAGES[name]), name)
    if name in _TABULAR:
        from ganvae.data import tables

        return getattr(tables, name)
    raise AttributeError(f"module 'ganvae.data' has no attribute {name!r}")
