"""Evaluation metrics: functions of tensors (features or images), never of models.

Feature-space metrics (Fréchet distance, KID, PRDC, memorisation, interpolation smoothness) take N x D
features from `ganvae.features`; name them after the feature space in reports ("FD (domain features)").
Tabular metrics take DataFrames and column kinds instead: import them from `ganvae.metrics.tabular`
(not re-exported here, so that image runs do not import pandas).
"""

from ganvae.metrics import cost  # noqa: F401  (declares the sampling-time figure)
from ganvae.metrics.classes import class_counts, class_kl, class_metrics, classes_covered
from ganvae.metrics.frechet import frechet_distance, frechet_from_stats, gaussian_stats
from ganvae.metrics.kid import kernel_inception_distance, mmd2_unbiased
from ganvae.metrics.latent import (
    decode_variance,
    interpolation_smoothness,
    linear_probe_accuracy,
    max_step_ratio,
    path_length_ratio,
)
from ganvae.metrics.memorisation import memorisation, nearest_train_distance
from ganvae.metrics.pairwise import knn_radii, nearest_neighbours
from ganvae.metrics.prdc import prdc
from ganvae.metrics.reconstruction import (
    mse_per_image,
    psnr_per_image,
    reconstruction_metrics,
    ssim_per_image,
)
from ganvae.metrics.sharpness import laplacian_variance, sharpness_ratio
from ganvae.metrics.superres import consistency_psnr
from ganvae.metrics.usability import gap_closed, independent_pixels

__all__ = [
    "class_counts",
    "class_kl",
    "class_metrics",
    "classes_covered",
    "consistency_psnr",
    "decode_variance",
    "frechet_distance",
    "frechet_from_stats",
    "gap_closed",
    "gaussian_stats",
    "independent_pixels",
    "interpolation_smoothness",
    "kernel_inception_distance",
    "knn_radii",
    "laplacian_variance",
    "linear_probe_accuracy",
    "max_step_ratio",
    "memorisation",
    "mmd2_unbiased",
    "mse_per_image",
    "nearest_neighbours",
    "nearest_train_distance",
    "path_length_ratio",
    "prdc",
    "psnr_per_image",
    "reconstruction_metrics",
    "sharpness_ratio",
    "ssim_per_image",
]
