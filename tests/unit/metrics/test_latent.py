"""Latent metrics: path length on known paths, linear probe on blobs, decode variance."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.datasets import make_blobs

from ganvae.errors import DataError
from ganvae.metrics.latent import (
    decode_variance,
    interpolation_smoothness,
    linear_probe_accuracy,
    max_step_ratio,
    path_length_ratio,
)


def test_points_on_a_straight_line_have_ratio_one():
    t = torch.linspace(0, 1, 9, dtype=torch.float64).view(1, 9, 1)
    direction = torch.randn(2, 1, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    paths = t * direction + 3.0  # two straight, evenly spaced paths in 5-d
    torch.testing.assert_close(path_length_ratio(paths), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(max_step_ratio(paths), torch.ones(2, dtype=torch.float64))


def test_a_zigzag_path_has_the_hand_computed_ratios():
    path = torch.tensor([[0.0], [2.0], [1.0], [3.0]])  # steps 2, 1, 2; endpoints 3 apart
    assert path_length_ratio(path).item() == pytest.approx(5 / 3)
    assert max_step_ratio(path).item() == pytest.approx(2 / (5 / 3))


def test_undefined_paths_are_skipped_in_the_mean():
    loop = torch.tensor([[[0.0], [1.0], [0.0]]])  # endpoints coincide
    line = torch.tensor([[[0.0], [1.0], [2.0]]])
    assert math.isnan(path_length_ratio(loop).item())
    out = interpolation_smoothness(torch.cat([loop, line]))
    assert out["path_length_ratio"] == pytest.approx(1.0)
    with pytest.raises(DataError, match="T >= 2"):
        path_length_ratio(torch.zeros(3, 1, 4))


def test_linear_probe_on_separable_blobs_is_perfect_and_chance_on_noise():
    x, y = make_blobs(n_samples=300, centers=3, n_features=8, cluster_std=0.5, random_state=0)
    acc = linear_probe_accuracy(x[:200], y[:200], x[200:], y[200:], seed=0)
    assert acc == pytest.approx(1.0)
    noise = torch.randn(300, 8, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(300) % 2
    assert linear_probe_accuracy(noise[:200], labels[:200], noise[200:], labels[200:]) < 0.7


def test_decode_variance_is_zero_for_copies_and_the_noise_variance_otherwise():
    base = torch.rand(1, 2, 1, 8, 8)
    assert decode_variance(base.expand(4, 2, 1, 8, 8)) == 0.0
    noisy = base + 0.1 * torch.randn(200, 2, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    assert decode_variance(noisy) == pytest.approx(0.01, rel=0.05)
    with pytest.raises(DataError, match="S >= 2"):
        decode_variance(torch.zeros(1, 1, 8, 8))
