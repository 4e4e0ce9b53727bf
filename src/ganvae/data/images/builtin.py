"""Readers of the built-in image datasets (registered, with every other built-in, in `ganvae.data.catalog`).

- ``digits``: scikit-learn's 8 x 8 handwritten digits (Alpaydin & Kaynak, 1998), shipped inside
  scikit-learn, so it is always available: the default for quick runs.
- ``fashion-mnist`` (Xiao, Rasul & Vollgraf, 2017) and ``mnist`` (LeCun et al., 1998): 28 x 28 IDX files
  with their official 60,000 / 10,000 train/test split, found on disk (see `search_paths`); fetch them with
  ``ganvae data fetch <name>`` or, for Fashion-MNIST on Debian, ``apt-get install dataset-fashion-mnist``.

>>> load_digits_data().shape
(1, 8, 8)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ganvae.data.images import ImageData
from ganvae.data.images.idx import read_idx_images, read_idx_labels
from ganvae.data.split import train_test_split
from ganvae.errors import DataError

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
# Where distributions install data: the Debian package dataset-fashion-mnist puts the original files here.
SYSTEM_DIRS = {"fashion-mnist": [Path("/usr/share/datasets/fashion-mnist")]}
INSTALL_HINT = {"fashion-mnist": " or `apt-get install dataset-fashion-mnist`"}


def data_dir(name: str) -> Path:
    """The user cache folder of a downloadable dataset, where ``ganvae data fetch`` writes it."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "ganvae" / name


def search_paths(name: str) -> list[Path]:
    """Folders searched, in order, for the IDX files of `name`."""
    paths = []
    if os.environ.get("GANVAE_DATA"):
        paths.append(Path(os.environ["GANVAE_DATA"]).expanduser() / name)
    paths.append(data_dir(name))
    paths.extend(SYSTEM_DIRS.get(name, []))
    return paths


def idx_file(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, preferring the uncompressed file (faster to read)."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_idx_dir(name: str) -> Path | None:
    """The first search path that holds all four IDX files of `name`, or None."""
    for folder in search_paths(name):
        if all(idx_file(folder, stem) for stem in IDX_FILES.values()):
            return folder
    return None


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
