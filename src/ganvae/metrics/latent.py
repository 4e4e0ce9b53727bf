"""Latent-space structure: interpolation smoothness, linear-probe accuracy and decoder stochasticity.

- Smoothness. Decode images along a path between two codes (linear or spherical interpolation) and embed
  them with the domain classifier. The path length in feature space divided by the distance between its
  endpoints is 1 for a path that moves straight from one image to the other and grows when the images jump
  around; the largest step over the mean step measures the single biggest jump (1 = evenly spaced). This is
  the feature-space analogue of the perceptual path length of Karras et al. (2019, "A style-based
  generator architecture for generative adversarial networks"), normalised so that different models and
  endpoint pairs are comparable.
- Linear probe (Alain & Bengio, 2016, "Understanding intermediate layers using linear classifier probes"):
  how well a logistic regression on the codes predicts the class — a structured latent space makes classes
  linearly separable.
- Stochasticity: the mean per-pixel variance over several decodes of one input (e.g. posterior draws of a
  VAE): 0 for a deterministic map.

>>> import torch
>>> t = torch.linspace(0, 1, 5).view(1, 5, 1)
>>> path_length_ratio(t * torch.ones(1, 5, 3)).tolist()
[1.0]
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganvae.errors import DataError
from ganvae.metrics.checks import ArrayLike, as_tensor
from ganvae.metrics.meta import declare

declare("probe_accuracy", "linear-probe accuracy on codes", better="higher", bounds=(0.0, 1.0))
# both >= 1 by the triangle inequality; 1 = a straight, evenly paced walk in feature space
declare("path_length_ratio", "interpolation path length ratio", better="lower", bounds=(1.0, None))
declare("max_step_ratio", "interpolation max step ratio", better="lower", bounds=(1.0, None))
# descriptive: how much several decodes of one input differ; neither more nor less is better in general
declare("decode_variance", "output variance for one input", bounds=(0.0, None))


def _paths(features: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    f = as_tensor(features, "path features", torch.float64)
    if f.ndim == 2:
        f = f.unsqueeze(0)
    if f.ndim != 3 or f.shape[1] < 2:
        raise DataError(f"path features must be P x T x D with T >= 2 steps, got shape {tuple(f.shape)}")
    steps = (f[:, 1:] - f[:, :-1]).norm(dim=2)  # P x (T-1)
    return f, steps


def path_length_ratio(features: ArrayLike) -> torch.Tensor:
    """Per path: feature-space path length / endpoint distance (1 = straight); NaN when endpoints coincide."""
    f, steps = _paths(features)
    ends = (f[:, -1] - f[:, 0]).norm(dim=1)
    ratio = steps.sum(dim=1) / ends
    # Identical endpoints leave the ratio undefined (the path may still wander); mark, don't guess.
    return torch.where(ends > 0, ratio, torch.full_like(ratio, math.nan))


def max_step_ratio(features: ArrayLike) -> torch.Tensor:
    """Per path: largest step / mean step (1 = evenly spaced, T-1 = one jump); NaN for a constant path."""
    _, steps = _paths(features)
    mean = steps.mean(dim=1)
    ratio = steps.max(dim=1).values / mean
    return torch.where(mean > 0, ratio, torch.full_like(ratio, math.nan))


def interpolation_smoothness(features: ArrayLike) -> dict[str, float]:
    """Mean (over paths with defined values) path-length ratio and max-step ratio of P x T x D features."""
    length, jump = path_length_ratio(features), max_step_ratio(features)
    return {
        "path_length_ratio": float(np.nanmean(length.numpy())) if (~length.isnan()).any() else math.nan,
        "max_step_ratio": float(np.nanmean(jump.numpy())) if (~jump.isnan()).any() else math.nan,
    }


def linear_probe_accuracy(
    codes_train: ArrayLike, y_train: ArrayLike, codes_test: ArrayLike, y_test: ArrayLike, seed: int = 0
) -> float:
    """Test accuracy of a standardised multinomial logistic regression trained on the codes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xtr = as_tensor(codes_train, "codes_train", torch.float64).flatten(1).numpy()
    xte = as_tensor(codes_test, "codes_test", torch.float64).flatten(1).numpy()
    ytr = as_tensor(y_train, "y_train").reshape(-1).numpy()
    yte = as_tensor(y_test, "y_test").reshape(-1).numpy()
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise DataError("linear probe: give one label per code in both splits")
    if xtr.shape[1] != xte.shape[1]:
        raise DataError(f"linear probe: train codes have {xtr.shape[1]} dims but test codes {xte.shape[1]}")
    if len(np.unique(ytr)) < 2:
        raise DataError("linear probe needs at least two classes in the training labels")
    # lbfgs converges in a few hundred iterations on standardised codes; 2000 leaves headroom for
    # near-separable classes, whose weights keep growing.
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(xtr, ytr)
    return float(probe.score(xte, yte))


def decode_variance(decodes: ArrayLike) -> float:
    """Mean per-pixel variance over S decodes of the same input(s).

    `decodes` is S x C x H x W (one input) or S x N x C x H x W (N inputs, S decodes each); the unbiased
    variance over S is averaged over pixels and inputs. 0 means the decoder is deterministic.
    """
    d = as_tensor(decodes, "decodes", torch.float64)
    if d.ndim not in (4, 5) or d.shape[0] < 2:
        raise DataError(f"decodes must be S x [N x] C x H x W with S >= 2 draws, got shape {tuple(d.shape)}")
    return float(d.var(dim=0, correction=1).mean())
