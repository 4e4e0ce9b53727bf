"""Memorisation: are generated samples new, or copies of training images?

Following the nearest-neighbour test used by e.g. Meehan et al. (2020, "A non-parametric test to detect
data-copying in generative models") in its simplest form, each generated sample's distance to its nearest
training image is compared with the same distance for held-out real test images, which are new by
construction. A median ratio near or above 1 means samples are as far from the training set as fresh real
data; well below 1 means the model reproduces (near-)copies of what it saw. Exact copies are counted
separately: a sample whose nearest training image is within `copy_threshold`.

Works in any space: pixels (flattened) or features. Distances are batched (`ganvae.metrics.pairwise`), and
the winning distance is recomputed exactly so that a copy measures 0, not round-off.

>>> import torch
>>> train = torch.rand(50, 16, generator=torch.Generator().manual_seed(0))
>>> test = torch.rand(20, 16, generator=torch.Generator().manual_seed(1))
>>> memorisation(train[:10], train, test)["copy_share"]
1.0
"""

from __future__ import annotations

import numpy as np
import torch

from ganvae.errors import DataError
from ganvae.metrics.checks import ArrayLike, as_matrix, same_width
from ganvae.metrics.meta import declare
from ganvae.metrics.pairwise import nearest_neighbours

# 1 = samples as far from the training set as unseen real images; well below 1 = (near-)copies, far
# above 1 = samples away from the data altogether
declare(
    "memorisation_ratio", "NN distance ratio (samples / test)", ideal=1.0, scale="log", bounds=(0.0, None)
)
declare("copy_share", "exact-copy share", better="lower", bounds=(0.0, 1.0))

# A copy is closer to a training image than this fraction of the typical test->train distance. Relative,
# so the same default works for [0, 1] pixels and for arbitrarily scaled features.
DEFAULT_COPY_FRACTION = 1e-3


def nearest_train_distance(queries: ArrayLike, train: ArrayLike, *, chunk: int | None = None) -> torch.Tensor:
    """Distance from each query (N x D, or images) to its nearest training row; shape (N,)."""
    q = as_matrix(queries, "queries", dtype=torch.float32)
    t = as_matrix(train, "train", dtype=torch.float32)
    same_width(q, t, "queries", "train")
    return nearest_neighbours(q, t, chunk)[0]


def memorisation(
    samples: ArrayLike,
    train: ArrayLike,
    test: ArrayLike,
    *,
    copy_threshold: float | None = None,
    chunk: int | None = None,
) -> dict[str, float]:
    """Nearest-training-neighbour statistics of generated `samples` relative to real `test` images.

    Returns `nn_ratio_median` (median sample->train distance / median test->train distance),
    `sample_nn_median`, `test_nn_median`, `copy_share` (share of samples within `copy_threshold` of a
    training image) and the `copy_threshold` used (default: 1e-3 x the median test->train distance).
    """
    sample_d = nearest_train_distance(samples, train, chunk=chunk)
    test_d = nearest_train_distance(test, train, chunk=chunk)
    # np.median averages the two middle values; torch.median would return the lower one.
    test_median = float(np.median(test_d.numpy()))
    if test_median <= 0.0:
        raise DataError(
            "over half of the test images also appear in the training set, so the "
            "memorisation baseline is 0; deduplicate the train/test split"
        )
    threshold = DEFAULT_COPY_FRACTION * test_median if copy_threshold is None else float(copy_threshold)
    sample_median = float(np.median(sample_d.numpy()))
    return {
        "nn_ratio_median": sample_median / test_median,
        "sample_nn_median": sample_median,
        "test_nn_median": test_median,
        "copy_share": float((sample_d <= threshold).double().mean()),
        "copy_threshold": threshold,
    }
