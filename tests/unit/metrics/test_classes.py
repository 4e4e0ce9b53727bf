"""Class coverage and class-histogram KL on hand-made histograms, against scipy.stats.entropy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import entropy

from ganvae.errors import DataError
from ganvae.metrics.classes import class_counts, class_kl, class_metrics, classes_covered


def test_counts_from_labels_and_from_probabilities():
    assert class_counts(torch.tensor([0, 2, 2]), 4).tolist() == [1, 0, 2, 0]
    probs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert class_counts(probs).tolist() == [1, 2]
    with pytest.raises(DataError, match="out of range"):
        class_counts(torch.tensor([5]), 3)


def test_balanced_data_uses_the_one_over_4k_rule():
    real = torch.full((5,), 100.0)  # threshold = 1 / (4 * 5) = 0.05 of the samples
    gen = torch.tensor([50.0, 30.0, 15.0, 0.0, 5.0])  # shares .5 .3 .15 0 .05
    assert classes_covered(gen, real) == 4
    gen[4] = 4.0  # 4 / 99 < 0.05
    assert classes_covered(gen, real) == 3


def test_imbalanced_data_scales_the_bar_with_the_real_share():
    real = torch.tensor([90.0, 10.0])
    assert classes_covered(torch.tensor([97.0, 3.0]), real) == 2  # 0.03 >= 0.25 * 0.10
    assert classes_covered(torch.tensor([99.0, 1.0]), real) == 1
    assert classes_covered(torch.tensor([50.0, 50.0, 7.0]), torch.tensor([50.0, 50.0, 0.0])) == 2


def test_kl_matches_scipy_entropy():
    real, gen = np.array([30.0, 50.0, 20.0]), np.array([10.0, 60.0, 30.0])
    assert class_kl(real, gen, smoothing=0.0) == pytest.approx(entropy(real, gen), rel=1e-12)
    smoothed = entropy(real + 0.5, gen + 0.5)
    assert class_kl(real, gen) == pytest.approx(smoothed, rel=1e-12)
    assert class_kl(real, real) == pytest.approx(0.0, abs=1e-15)


def test_a_missing_class_gives_a_large_finite_kl():
    kl = class_kl(np.array([50.0, 50.0]), np.array([100.0, 0.0]))
    assert np.isfinite(kl) and kl > 1.0


def test_class_metrics_on_a_collapsed_generator():
    real_labels = torch.arange(1000) % 10
    collapsed = torch.zeros(500, dtype=torch.long)  # every sample is class 0
    out = class_metrics(collapsed, real_labels, 10)
    assert out["covered"] == 1 and out["num_classes"] == 10
    assert out["kl"] > 2.0
    healthy = class_metrics(torch.arange(500) % 10, real_labels, 10)
    assert healthy["covered"] == 10 and healthy["kl"] == pytest.approx(0.0, abs=1e-12)
    assert sum(healthy["gen_hist"]) == pytest.approx(1.0)
