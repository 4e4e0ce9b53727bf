"""Readers of the built-in image datasets (registered, with every other built-in, in `ganvae.data.catalog`).

- ``digits``: scikit-learn's 8 x 8 handwritten digits (Alpaydin & Kaynak, 1998), shipped inside
  scikit-learn, so it is always available: the default for quick runs.
- ``fashion-mnist`` (Xiao, Rasul & Vollgraf, 2017) and ``mnist`` (LeCun et al., 1998): 28 x 28 IDX files
  with their official 60,000 / 10,000 train/test split, found on disk (`ganvae.data.images_on_disk`);
  fetch them with ``ganvae data fetch <name>`` or, for Fashion-MNIST on Debian,
  ``apt-get install dataset-fashion-mnist``.

>>> load_digits_data().shape
(1, 8, 8)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganvae.data.images import ImageData
from ganvae.data.images.idx import read_idx_images, read_idx_labels
from ganvae.data.images_on_disk import (  # noqa: F401 (re-exported: where the readers look)
    IDX_FILES,
    INSTALL_HINT,
    SYSTEM_DIRS,
    data_dir,
    find_idx_dir,
    idx_file,
    search_paths,
)
from ganvae.data.split import train_test_split
from ganvae.errors import DataError


def _missing_message(name: str) -> str:
    paths = ", ".join(str(p) for p in search_paths(name))
    return (
        f"{name} not found in {paths}; run `ganvae data fetch {name}` (needs internet)"
        f"{INSTALL_HINT.get(name, '')}"
    )


def load_idx_pair(images: Path, labels: Path | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Read an IDX images file (and its labels) into float32 N x 1 x H x W in [0, 1] and int64 labels."""
    u8 = read_idx_images(images)
    # In-place division on the float copy: one 4-byte-per-pixel allocation, not two.
    x = torch.from_numpy(u8).unsqueeze(1).float().div_(255)
    if labels is None:
        return x, None
    y = read_idx_labels(labels)
    if len(y) != len(u8):
        raise DataError(
            f"{images} has {len(u8)} images but {labels} has {len(y)} labels; the files do not match"
        )
    return x, torch.from_numpy(y.astype(np.int64))


def load_idx_dataset(name: str, class_names: list[str] | None = None) -> ImageData:
    """Load a built-in IDX dataset from the first search path that has it."""
    folder = find_idx_dir(name)
    if folder is None:
        raise DataError(_missing_message(name))
    paths = {key: idx_file(folder, stem) for key, stem in IDX_FILES.items()}
    x_train, y_train = load_idx_pair(paths["x_train"], paths["y_train"])  # type: ignore[arg-type]
    x_test, y_test = load_idx_pair(paths["x_test"], paths["y_test"])  # type: ignore[arg-type]
    return ImageData(
        name, x_train, x_test, y_train, y_test, class_names, source=str(folder), meta={"split": "official"}
    )


def load_digits_data() -> ImageData:
    """scikit-learn's 1,797 digits, 8 x 8, values 0..16 scaled to [0, 1]; seeded stratified 80/20 split."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.data.reshape(-1, 1, 8, 8).astype(np.float32) / 16.0)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    return ImageData(
        "digits",
        x_train,
        x_test,
        y_train,
        y_test,
        [str(i) for i in range(10)],
        source="scikit-learn load_digits",
        meta={"split": "seeded", "test_fraction": 0.2, "seed": 0},
    )
