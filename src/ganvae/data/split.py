"""Seeded train/test split for sources that ship without one (a folder, one .npz, one IDX file, digits).

Stratified (scikit-learn) when labels allow it, so that small classes appear on both sides and per-class
metrics (class coverage, class histograms) are comparable between train and test; otherwise a plain
seeded shuffle. The same seed always gives the same split.

>>> import numpy as np
>>> xtr, xte, ytr, yte = train_test_split(np.arange(10), np.arange(10) % 2, test_fraction=0.2, seed=0)
>>> len(xtr), len(xte)
(8, 2)
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import torch

from ganvae.errors import DataError

A = TypeVar("A", np.ndarray, torch.Tensor)


def split_indices(
    n: int, y: np.ndarray | torch.Tensor | None = None, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(train_idx, test_idx)``: disjoint int64 index arrays covering ``range(n)``."""
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test fraction must lie strictly between 0 and 1, got {test_fraction}; e.g. use 0.2")
    if n < 2:
        raise DataError(f"need at least 2 images to make a train and a test split, got {n}; add more images")
    # At least one image on each side, so tiny sets still give two non-empty splits.
    n_test = min(max(math.ceil(n * test_fraction), 1), n - 1)
    labels = None if y is None else np.asarray(y).reshape(-1)
    if labels is not None and len(labels) != n:
        raise DataError(f"{n} images but {len(labels)} labels; give one label per image")
    if labels is not None and _can_stratify(labels, n_test):
        from sklearn.model_selection import train_test_split as sk_split

        train_idx, test_idx = sk_split(np.arange(n), test_size=n_test, random_state=seed, stratify=labels)
    else:
        perm = np.random.default_rng(seed).permutation(n)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    return np.asarray(train_idx, np.int64), np.asarray(test_idx, np.int64)


def _can_stratify(labels: np.ndarray, n_test: int) -> bool:
    _, counts = np.unique(labels, return_counts=True)
    # scikit-learn refuses a class with one member, and needs room for every class on both sides.
    k = len(counts)
    return bool(counts.min() >= 2 and n_test >= k and len(labels) - n_test >= k)


def train_test_split(
    x: A, y: A | None = None, test_fraction: float = 0.2, seed: int = 0
) -> tuple[A, A, A | None, A | None]:
    """Split images (and labels) into ``(x_train, x_test, y_train, y_test)``; numpy arrays or tensors."""
    train_idx, test_idx = split_indices(len(x), y, test_fraction, seed)

    def take(a: A | None, idx: np.ndarray) -> A | None:
        if a is None:
            return None
        return a[torch.from_numpy(idx)] if isinstance(a, torch.Tensor) else a[idx]

    return take(x, train_idx), take(x, test_idx), take(y, train_idx), take(y, test_idx)  # type: ignore[return-value]
