"""Mode collapse seen through a domain classifier: which classes the generated samples fall into.

Following the "number of modes covered" and KL-to-the-real-class-distribution measures of Metz et al.
(2017, "Unrolled generative adversarial networks") and Srivastava et al. (2017, "VEEGAN"), each generated
sample is assigned the class the domain classifier predicts for it (its arg-max), and the histogram of those
assignments is compared with the real class histogram.

- Covered classes: class c counts as covered when its share of the generated samples is at least
  `min_ratio` (default 1/4) times its share of the real data. For balanced data with K classes this is
  the usual "at least 1/(4K) of the samples" rule; for imbalanced data a rare class is not held to a bar
  it could never reach. Classes absent from the real data are ignored.
- KL(real || generated) in nats, with `smoothing` (default 0.5, Jeffreys' prior) pseudo-counts added to
  every class of both histograms, so a class the generator never produces gives a large but finite value
  instead of +inf. 0 means the generator reproduces the real class proportions.

>>> import torch
>>> class_metrics(torch.tensor([0, 0, 0, 1]), torch.tensor([0, 1, 0, 1]))["covered"]
2
"""

from __future__ import annotations

import torch

from ganvae.errors import DataError
from ganvae.metrics.checks import ArrayLike, as_tensor
from ganvae.metrics.meta import declare

declare("classes_covered", "classes covered", better="higher", unit="classes", bounds=(0.0, None))
declare("class_kl", "class-histogram KL", better="lower", unit="nats", bounds=(0.0, None))


def class_counts(pred: ArrayLike, num_classes: int | None = None) -> torch.Tensor:
    """Histogram (K,) of class assignments: `pred` is N labels, or N x K probabilities (arg-max taken)."""
    p = as_tensor(pred, "class predictions")
    if p.ndim == 2:
        num_classes = num_classes or p.shape[1]
        if p.shape[1] != num_classes:
            raise DataError(f"predictions have {p.shape[1]} class columns but num_classes={num_classes}")
        p = p.argmax(dim=1)
    elif p.ndim != 1:
        raise DataError(f"class predictions must be N labels or N x K probabilities, got {tuple(p.shape)}")
    p = p.long()
    if p.numel() and int(p.min()) < 0:
        raise DataError("class labels must be >= 0")
    k = num_classes if num_classes is not None else (int(p.max()) + 1 if p.numel() else 0)
    if p.numel() and int(p.max()) >= k:
        raise DataError(f"class label {int(p.max())} is out of range for {k} classes")
    return torch.bincount(p, minlength=k).to(torch.float64)


def classes_covered(gen_counts: ArrayLike, real_counts: ArrayLike, min_ratio: float = 0.25) -> int:
    """Number of real classes whose generated share is >= min_ratio x their real share."""
    gen, real = _histograms(gen_counts, real_counts)
    gen_share, real_share = gen / gen.sum(), real / real.sum()
    present = real_share > 0
    return int(((gen_share >= min_ratio * real_share) & present).sum())


def class_kl(real_counts: ArrayLike, gen_counts: ArrayLike, smoothing: float = 0.5) -> float:
    """KL(real || generated) in nats between two class histograms, with additive smoothing."""
    gen, real = _histograms(gen_counts, real_counts)
    if smoothing < 0:
        raise DataError(f"smoothing must be >= 0, got {smoothing}")
    p = (real + smoothing) / (real + smoothing).sum()
    q = (gen + smoothing) / (gen + smoothing).sum()
    terms = torch.where(p > 0, p * (p.log() - q.log()), torch.zeros_like(p))
    return float(terms.sum())


def class_metrics(
    gen_pred: ArrayLike,
    real_labels: ArrayLike,
    num_classes: int | None = None,
    *,
    min_ratio: float = 0.25,
    smoothing: float = 0.5,
) -> dict[str, object]:
    """Class coverage and histogram divergence of generated samples against real labels.

    `gen_pred`: the domain classifier's predictions for the samples (labels or probabilities);
    `real_labels`: real labels (N,). Returns `covered`, `num_classes`, `kl` and both histograms as
    lists of shares (for plots).
    """
    real_lab = as_tensor(real_labels, "real labels")
    if real_lab.ndim != 1 or real_lab.numel() == 0:
        raise DataError(f"real labels must be a non-empty vector, got shape {tuple(real_lab.shape)}")
    if num_classes is None:
        gp = as_tensor(gen_pred, "class predictions")
        num_classes = max(int(real_lab.max()) + 1, gp.shape[1] if gp.ndim == 2 else int(gp.max()) + 1)
    gen = class_counts(gen_pred, num_classes)
    real = class_counts(real_lab, num_classes)
    return {
        "covered": classes_covered(gen, real, min_ratio),
        "num_classes": int((real > 0).sum()),
        "kl": class_kl(real, gen, smoothing),
        "gen_hist": (gen / gen.sum()).tolist(),
        "real_hist": (real / real.sum()).tolist(),
    }


def _histograms(gen_counts: ArrayLike, real_counts: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    gen = as_tensor(gen_counts, "generated histogram", torch.float64).reshape(-1)
    real = as_tensor(real_counts, "real histogram", torch.float64).reshape(-1)
    if gen.shape != real.shape:
        raise DataError(f"class histograms differ in length ({len(gen)} vs {len(real)}); use one num_classes")
    if (gen < 0).any() or (real < 0).any() or gen.sum() <= 0 or real.sum() <= 0:
        raise DataError("class histograms must be non-negative counts with a positive total")
    return gen, real
