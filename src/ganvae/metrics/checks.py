"""Input checks shared by the metrics: every metric takes tensors (or arrays), never models.

A metric given the wrong shape, too few samples or NaN fails here with a `DataError` that says what was
wrong and what to do, instead of returning a silently meaningless number.
"""

from __future__ import annotations

import numpy as np
import torch

from ganvae.errors import DataError

ArrayLike = torch.Tensor | np.ndarray


def as_tensor(x: ArrayLike, name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A CPU tensor (no copy when already one); rejects NaN and infinities."""
    t = torch.as_tensor(x).detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if dtype is not None:
        t = t.to(dtype)
    if t.is_floating_point() and not torch.isfinite(t).all():
        raise DataError(f"{name} contains NaN or infinite values; check the model that produced it")
    return t


def as_matrix(x: ArrayLike, name: str, min_rows: int = 1, dtype: torch.dtype | None = None) -> torch.Tensor:
    """An N x D feature matrix; images (N x C x H x W) are flattened to N x CHW."""
    t = as_tensor(x, name, dtype)
    if t.ndim == 1 or t.ndim == 0:
        raise DataError(f"{name} must be N x D (one row per sample), got shape {tuple(t.shape)}")
    t = t.reshape(t.shape[0], -1)
    if t.shape[0] < min_rows:
        raise DataError(
            f"{name} has {t.shape[0]} samples but this metric needs at least {min_rows}; give more samples"
        )
    return t


def as_images(x: ArrayLike, name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """An N x C x H x W float image batch."""
    t = as_tensor(x, name, dtype)
    if t.ndim != 4:
        raise DataError(f"{name} must be images N x C x H x W, got shape {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise DataError(f"{name} is empty; give at least one image")
    return t


def same_width(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Both feature sets must live in the same space."""
    if a.shape[1] != b.shape[1]:
        raise DataError(
            f"{name_a} has {a.shape[1]} features per sample but {name_b} has {b.shape[1]}; "
            "extract both with the same feature extractor"
        )
