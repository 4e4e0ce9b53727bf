"""Batched Euclidean distances: k-NN radii and nearest neighbours without an N x M matrix in memory.

PRDC (Kynkäänniemi et al., 2019; Naeem et al., 2020) and the memorisation test (nearest training image of
each sample) need distances between sets of tens of thousands of points. Rows are processed in chunks with
`torch.cdist`, so memory is O(chunk · M) — about `max_elements` distances at a time — however large N is.

`torch.cdist` uses the |a|² + |b|² - 2 a·b matrix-product form for speed, whose round-off makes a distance
of 0 come out as up to ~1e-3 in float32 on 784-pixel images; `nearest_neighbours` therefore recomputes the
winning distance directly, so exact copies measure exactly 0.

>>> import torch
>>> x = torch.tensor([[0.0], [1.0], [3.0]])
>>> knn_radii(x, k=1).tolist()
[1.0, 1.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from ganvae.errors import DataError

# ~16M distances per chunk: 128 MB in float64, small enough for a shared 2-core machine.
DEFAULT_MAX_ELEMENTS = 1 << 24


def rows_per_chunk(n_cols: int, max_elements: int = DEFAULT_MAX_ELEMENTS) -> int:
    """How many query rows fit in one chunk of about `max_elements` distances."""
    return max(1, max_elements // max(1, n_cols))


def distance_chunks(
    a: torch.Tensor, b: torch.Tensor, chunk: int | None = None
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (start, cdist(a[start:start+chunk], b)) over the rows of a."""
    step = chunk or rows_per_chunk(b.shape[0])
    for start in range(0, a.shape[0], step):
        yield start, torch.cdist(a[start : start + step], b)


def knn_radii(x: torch.Tensor, k: int, chunk: int | None = None) -> torch.Tensor:
    """Distance from each row of x to its k-th nearest *other* row (the k-NN ball radius)."""
    n = x.shape[0]
    if not 1 <= k < n:
        raise DataError(
            f"k-NN radii need 1 <= k < number of samples, got k={k} with {n} samples; "
            "use a smaller k or more samples"
        )
    radii = torch.empty(n, dtype=x.dtype)
    for start, d in distance_chunks(x, x, chunk):
        rows = torch.arange(d.shape[0])
        # A point is its own 0-distance neighbour; pin that exactly (round-off may not) and skip it.
        d[rows, rows + start] = 0.0
        radii[start : start + d.shape[0]] = d.kthvalue(k + 1, dim=1).values
    return radii


def nearest_neighbours(
    queries: torch.Tensor, reference: torch.Tensor, chunk: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance, index) of the nearest reference row for every query row, distances computed exactly."""
    dist = torch.empty(queries.shape[0], dtype=queries.dtype)
    idx = torch.empty(queries.shape[0], dtype=torch.long)
    for start, d in distance_chunks(queries, reference, chunk):
        stop = start + d.shape[0]
        idx[start:stop] = d.argmin(dim=1)
        dist[start:stop] = (queries[start:stop] - reference[idx[start:stop]]).norm(dim=1)
    return dist, idx
