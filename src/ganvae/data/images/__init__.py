"""The canonical in-memory image dataset every model, metric and task consumes.

Images are float32 tensors N x C x H x W with values in [0, 1]; labels are int64 (or None). Each model
maps [0, 1] to its own range (a GAN to [-1, 1]).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from ganvae.data.base import describe
from ganvae.errors import DataError


@dataclass
class ImageData:
    """A train/test pair of image tensors with optional labels and class names.

    >>> import torch
    >>> d = ImageData("toy", torch.rand(10, 1, 8, 8), torch.rand(4, 1, 8, 8))
    >>> d.shape
    (1, 8, 8)
    """

    name: str
    x_train: torch.Tensor
    x_test: torch.Tensor
    y_train: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    class_names: list[str] | None = None
    source: str = ""
    meta: dict[str, object] = field(default_factory=dict)
    kind: ClassVar[str] = "images"  # the `ganvae.data.base.Dataset` protocol
    unit: ClassVar[str] = "images"

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x = getattr(self, f"x_{split}")
            if x.ndim != 4:
                raise DataError(
                    f"{self.name}: {split} images must be N x C x H x W, got shape {tuple(x.shape)}"
                )
            if x.shape[0] == 0:
                raise DataError(f"{self.name}: the {split} split is empty; give more images")
            if x.shape[1] not in (1, 3):
                raise DataError(f"{self.name}: images must have 1 or 3 channels, got {x.shape[1]}")
            if not torch.isfinite(x).all():
                raise DataError(f"{self.name}: {split} images contain NaN or infinite values; clean the data")
            if x.min() < 0 or x.max() > 1:
                raise DataError(f"{self.name}: {split} images must lie in [0, 1] after loading")
            y = getattr(self, f"y_{split}")
            if y is not None and y.shape != (x.shape[0],):
                raise DataError(f"{self.name}: {split} has {x.shape[0]} images but {tuple(y.shape)} labels")
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise DataError(f"{self.name}: train and test images differ in shape")
        if (self.y_train is None) != (self.y_test is None):
            raise DataError(f"{self.name}: labels must be given for both splits or for neither")
        if self.y_train is not None and self.class_names is None:
            k = int(max(self.y_train.max(), self.y_test.max())) + 1  # type: ignore[union-attr]
            self.class_names = [str(i) for i in range(k)]

    @property
    def shape(self) -> tuple[int, int, int]:
        """C, H, W of one image."""
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        """Number of classes, 0 when unlabelled."""
        return len(self.class_names) if self.y_train is not None and self.class_names else 0

    @property
    def labelled(self) -> bool:
        return self.y_train is not None

    @property
    def split(self) -> str:
        """official (the source's own), seeded (`ganvae.data.split`) or given (made by the caller)."""
        return str(self.meta.get("split", "given"))

    def describe(self) -> dict[str, Any]:
        return describe(self, len(self.x_test))

    def fingerprint(self) -> str:
        """A short hash of the pixels and labels, to key caches (domain classifier, features)."""
        h = hashlib.sha256()
        for t in (self.x_train, self.x_test, self.y_train, self.y_test):
            if t is not None:
                h.update(np.ascontiguousarray(t.numpy()).tobytes())
        return h.hexdigest()[:16]

    def subset(self, train: int | None = None, test: int | None = None, seed: int = 0) -> ImageData:
        """A seeded random subset of each split (used by quick runs and tests)."""
        g = torch.Generator().manual_seed(seed)

        def pick(x: torch.Tensor, y: torch.Tensor | None, n: int | None):
            if n is None or n >= len(x):
                return x, y
            idx = torch.randperm(len(x), generator=g)[:n]
            return x[idx], (y[idx] if y is not None else None)

        xtr, ytr = pick(self.x_train, self.y_train, train)
        xte, yte = pick(self.x_test, self.y_test, test)
        return ImageData(self.name, xtr, xte, ytr, yte, self.class_names, self.source, dict(self.meta))
