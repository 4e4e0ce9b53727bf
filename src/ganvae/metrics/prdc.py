"""Precision and recall (Kynkäänniemi et al., 2019, "Improved precision and recall metric for assessing
generative models") and density and coverage (Naeem et al., 2020, "Reliable fidelity and diversity metrics
for generative models"), all from k-nearest-neighbour balls in feature space.

Each real point x_i gets a ball of radius r_i = distance to its k-th nearest other real point (fake points
likewise for recall). With N real and M fake points:

- precision = share of fake points inside at least one real ball           (fidelity)
- recall    = share of real points inside at least one fake ball           (diversity)
- density   = Σ_j #{real balls containing fake j} / (k M)                  (fidelity, can exceed 1)
- coverage  = share of real balls that contain at least one fake point     (diversity)

Balls are closed (distance <= radius), as in Kynkäänniemi et al.'s definition, so duplicated points do
not fall out of their own zero-radius balls. Distances are computed in float64 chunks of fake rows against
all real points (`ganvae.metrics.pairwise`): one pass gives all four numbers with O(chunk · N) memory.

>>> import torch
>>> x = torch.randn(200, 5, generator=torch.Generator().manual_seed(0))
>>> prdc(x, x, k=5)["coverage"]
1.0
"""

from __future__ import annotations

import torch

from ganvae.metrics.checks import ArrayLike, as_matrix, same_width
from ganvae.metrics.meta import declare
from ganvae.metrics.pairwise import distance_chunks, knn_radii

declare("precision", "precision", better="higher", bounds=(0.0, 1.0))
declare("recall", "recall", better="higher", bounds=(0.0, 1.0))
# density is 1 in expectation for samples from the real distribution (Naeem et al. 2020); above 1
# means samples crowd into dense regions, which is not better
declare("density", "density", ideal=1.0, scale="log", bounds=(0.0, None))
declare("coverage", "coverage", better="higher", bounds=(0.0, 1.0))


def prdc(real: ArrayLike, fake: ArrayLike, k: int = 5, *, chunk: int | None = None) -> dict[str, float]:
    """Precision, recall, density and coverage of `fake` against `real` (both N x D features).

    `k` = 5 follows Naeem et al. (Kynkäänniemi et al. use 3); keep it fixed when comparing models.
    `chunk` (rows per distance block) only trades memory for speed; the result does not depend on it.
    """
    r = as_matrix(real, "real", min_rows=k + 1, dtype=torch.float64)
    f = as_matrix(fake, "fake", min_rows=k + 1, dtype=torch.float64)
    same_width(r, f, "real", "fake")
    real_radii = knn_radii(r, k, chunk)
    fake_radii = knn_radii(f, k, chunk)

    in_real_ball = torch.zeros(f.shape[0], dtype=torch.bool)  # fake j inside some real ball
    real_balls_hit = torch.zeros(f.shape[0], dtype=torch.float64)  # how many real balls hold fake j
    real_recalled = torch.zeros(r.shape[0], dtype=torch.bool)  # real i inside some fake ball
    nearest_fake = torch.full((r.shape[0],), float("inf"), dtype=torch.float64)
    for start, d in distance_chunks(f, r, chunk):  # d: fake chunk x all real
        stop = start + d.shape[0]
        inside = d <= real_radii.unsqueeze(0)
        in_real_ball[start:stop] = inside.any(dim=1)
        real_balls_hit[start:stop] = inside.sum(dim=1, dtype=torch.float64)
        real_recalled |= (d <= fake_radii[start:stop].unsqueeze(1)).any(dim=0)
        nearest_fake = torch.minimum(nearest_fake, d.min(dim=0).values)

    return {
        "precision": float(in_real_ball.double().mean()),
        "recall": float(real_recalled.double().mean()),
        "density": float(real_balls_hit.sum() / (k * f.shape[0])),
        "coverage": float((nearest_fake <= real_radii).double().mean()),
    }
