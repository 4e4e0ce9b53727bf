"""Where the built-in IDX image datasets (fashion-mnist, mnist) are found on disk, and where `ganvae data
fetch` writes them. Apart from the readers (`ganvae.data.images.builtin`) and without PyTorch, so that
`ganvae list` can say whether each one is here without importing it.

>>> sorted(IDX_FILES)
['x_test', 'x_train', 'y_test', 'y_train']
"""

from __future__ import annotations

import os
from pathlib import Path

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
